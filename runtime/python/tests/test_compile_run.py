"""loom.compile and Session.run against loomc --interpret and `loom run`."""
import json
import os

import numpy as np
import pytest

import loom
from conftest import B, LINEAR_SPEC, T, run_tool, tool


def test_artifact_describes_the_manifest(tiny):
    manifest = json.load(open(os.path.join(tiny.dir, "manifest.json")))
    assert tiny.model == "tiny_gpt"
    assert set(tiny.functions) == set(manifest["functions"])
    assert {"forward", "loss", "train_step"} <= set(tiny.functions)
    assert tiny.inputs["tokens"].shape == (B, T)
    assert tiny.inputs["tokens"].dtype == "i32"
    assert tiny.inputs["tokens"].range == (0, 256)
    assert tiny.params["wte"].shape == (256, 64)
    assert tiny.params["wte"].numpy_dtype == np.float32
    assert tiny.outputs["forward"]["logits"].shape == (B, T, 256)
    assert tiny.outputs["loss"]["loss"].shape == ()
    assert any(n.startswith("optim.m.") for n in tiny.state)
    # Opening the directory again gives the same description.
    again = loom.Artifact(tiny.dir)
    assert again.params == tiny.params and again.outputs == tiny.outputs


def test_run_matches_loom_run(tiny, tokens, tmp_path):
    logits = loom.Session(tiny, seed=3).run(tokens=tokens)["logits"]
    assert logits.shape == (B, T, 256) and logits.dtype == np.float32
    np.save(tmp_path / "tokens.npy", tokens)
    r = run_tool(tool("LOOM_CLI"), "run", tiny.dir, "--seed", 3, "--input",
                 f"tokens={tmp_path / 'tokens.npy'}", "--output",
                 f"logits={tmp_path / 'logits.npy'}")
    assert r.returncode == 0, r.stderr
    # The same library, weights and runtime: bit-identical.
    np.testing.assert_array_equal(logits, np.load(tmp_path / "logits.npy"))


def test_run_matches_the_interpreter(tiny, models, tokens, tmp_path):
    s = loom.Session(tiny, seed=0)
    out = s.run("loss", tokens=tokens, targets=np.roll(tokens, -1, axis=1))
    logits = s.run(tokens=tokens)["logits"]
    np.save(tmp_path / "tokens.npy", tokens)
    r = run_tool(tool("LOOMC"), os.path.join(models, "tiny_gpt.loom"),
                 "--interpret", "--dim", f"B={B}", "--dim", f"T={T}", "--seed", 0,
                 "--input", f"tokens={tmp_path / 'tokens.npy'}",
                 "--output", f"logits={tmp_path / 'ref.npy'}")
    assert r.returncode == 0, r.stderr
    ref = np.load(tmp_path / "ref.npy")
    # The interpreter computes in double; the compiled code in f32 (the
    # integration tests' bound for tiny models).
    np.testing.assert_allclose(logits, ref, rtol=0, atol=2e-5)
    assert np.isfinite(out["loss"]) and 5.0 < float(out["loss"]) < 6.0  # ~ln 256


def test_spec_text_into_a_temporary_directory(linear):
    assert linear.functions == ["forward"]
    assert os.path.exists(os.path.join(linear.dir, "model.so"))
    # The matmul is a Halide kernel: the artifact loads into Python with
    # the kernel bundle's C++ linked in.
    sites = json.load(open(os.path.join(linear.dir, "kernels.json")))["sites"]
    assert any(site["generator"] == "halide" for site in sites)
    s = loom.Session(linear, seed=1)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = s.run(x=x)["y"]
    w, b = s.params["w"], s.params["b"]
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6, atol=1e-6)


def test_temporary_directory_goes_with_the_artifact():
    art = loom.compile(LINEAR_SPEC, dims={"B": 1})
    s = loom.Session(art)
    d = art.dir
    del art
    assert os.path.isdir(d)  # the session keeps its artifact
    y = s.run(x=np.ones((1, 4), np.float32))["y"]
    del s
    import gc
    gc.collect()
    assert not os.path.exists(d)
    assert y.shape == (1, 3)  # a copy: outlives the session


def test_output_views_and_copies(tiny, tokens):
    s = loom.Session(tiny)
    view = s.run(tokens=tokens, copy=False)["logits"]
    copy = s.run(tokens=tokens)["logits"]
    assert not view.flags.writeable and view.base is not None
    np.testing.assert_array_equal(view, copy)
    s.run(tokens=(tokens + 1) % 256)
    # The view shows the latest run; the copy keeps its own values.
    assert not np.array_equal(view, copy)
    del s
    assert view.sum() == view.sum()  # the view keeps the session alive


def test_list_inputs_take_the_input_dtype(linear):
    s = loom.Session(linear)
    a = s.run(x=[[1, 2, 3, 4]] * 3)["y"]
    b = s.run(x=np.array([[1, 2, 3, 4]] * 3, np.float32))["y"]
    np.testing.assert_array_equal(a, b)


def test_json_spec_text_compiles_the_same_model(linear, tmp_path):
    (tmp_path / "linear.loom").write_text(LINEAR_SPEC)
    r = run_tool(tool("LOOMC"), "fmt", tmp_path / "linear.loom", "--to=json")
    assert r.returncode == 0, r.stderr
    # JSON text; loom's own kernels this time (the fixture uses Halide's).
    art = loom.compile(r.stdout, dims={"B": 3}, kernels="mlir")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    y = loom.Session(art, seed=4).run(x=x)["y"]
    np.testing.assert_allclose(y, loom.Session(linear, seed=4).run(x=x)["y"],
                               rtol=1e-6, atol=1e-6)


def test_threads_sharing_a_session_take_turns(tiny):
    import threading
    s = loom.Session(tiny, seed=2, threads=1)
    rng = np.random.default_rng(3)
    batches = [rng.integers(0, 256, size=(B, T), dtype=np.int32) for _ in range(4)]
    expected = [s.run(tokens=t)["logits"] for t in batches]
    failures = []

    def work(i):
        for _ in range(10):
            if not np.array_equal(s.run(tokens=batches[i])["logits"], expected[i]):
                failures.append(i)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []


def test_config_overrides_resize_the_spec():
    spec = ("model lin\nconfig {\n  n = 4\n  m = 2 * n\n}\ndims B\n"
            "input x: f32[B, n]\nparam w: f32[n, m] init ones\n"
            "y = matmul(x, w)\noutput y\n")
    art = loom.compile(spec, dims={"B": 2}, config={"n": 6})
    assert art.inputs["x"].shape == (2, 6)
    assert art.params["w"].shape == (6, 12)
    with pytest.raises(ValueError, match="has no config entry 'k' \\(its config: n, m\\)"):
        loom.compile(spec, dims={"B": 2}, config={"k": 1})
