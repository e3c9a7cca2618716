"""train_step against `loom train`; weights: files, dicts, zero-copy views."""
import csv
import gc

import numpy as np
import pytest

import loom
from conftest import B, T, run_tool, tool

STEPS = 4
LR = 1e-3
TEXT = b"the quick brown f"  # T + 1 bytes: `loom train` has one window


def text_batch():
    ids = np.frombuffer(TEXT, np.uint8).astype(np.int32)
    return {"tokens": np.tile(ids[:T], (B, 1)), "targets": np.tile(ids[1:], (B, 1))}


def test_train_step_matches_loom_train(tiny, tmp_path):
    assert len(TEXT) == T + 1
    s = loom.Session(tiny, seed=0)
    batch = text_batch()
    wte = s.params["wte"]
    losses = [s.train_step(batch, lr=LR) for _ in range(STEPS)]
    # tiny_gpt's updates are written in place: a view taken before the
    # steps is the trained parameter.
    assert np.shares_memory(wte, s.params["wte"])
    assert s.step == STEPS and s.last_grad_norm > 0
    assert losses[-1] < losses[0] - 0.05, losses

    (tmp_path / "text.txt").write_bytes(TEXT)
    r = run_tool(tool("LOOM_CLI"), "train", tiny.dir, "--data",
                 f"text:{tmp_path / 'text.txt'}", "--steps", STEPS, "--seed", 0,
                 "--lr", LR, "--schedule", "constant", "--log", tmp_path / "log.csv",
                 "--checkpoint", tmp_path / "ck.safetensors")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [float(row["lr"]) for row in rows] == [LR] * STEPS
    # The same compiled step on the same batch: the same f32 losses (the
    # log prints %.9g, which round-trips an f32).
    assert [np.float32(row["loss"]) for row in rows] == [np.float32(x) for x in losses]
    # ... and the same parameters and optimizer state afterwards.
    ref = loom.Session(tiny, weights=tmp_path / "ck.safetensors")
    for name in tiny.params:
        np.testing.assert_array_equal(s.params[name], ref.params[name], err_msg=name)
    for name in tiny.state:
        np.testing.assert_array_equal(s.state[name], ref.state[name], err_msg=name)


def test_params_are_zero_copy_views(tiny, tokens):
    s = loom.Session(tiny, seed=0)
    wte = s.params["wte"]
    assert np.shares_memory(wte, s.params["wte"]) and wte.flags.writeable
    assert np.shares_memory(wte, s.params["lm_head.weight"])  # the tie's alias
    before = s.run(tokens=tokens)["logits"]
    wte[:] = 0  # written in place: the next run sees it
    after = s.run(tokens=tokens)["logits"]
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, 0)  # the LM head is the zeroed wte
    del s
    gc.collect()
    assert wte.sum() == 0  # the view keeps the session alive


def test_weights_round_trip(tiny, tokens, tmp_path):
    s = loom.Session(tiny, seed=5)
    expected = s.run(tokens=tokens)["logits"]
    s.save_weights(tmp_path / "w.safetensors")
    loaded = loom.Session(tiny, weights=str(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(loaded.run(tokens=tokens)["logits"], expected)
    s.params["ln_f.weight"][:] = 2
    assert not np.array_equal(s.run(tokens=tokens)["logits"], expected)
    s.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(s.run(tokens=tokens)["logits"], expected)
    # A checkpoint carries the optimizer state and metadata too.
    s.save_checkpoint(tmp_path / "ck.safetensors", {"note": "hello"})
    loom.Session(tiny).load_weights(tmp_path / "ck.safetensors", require_state=True)
    with pytest.raises(loom.LoomError):
        loom.Session(tiny).load_weights(tmp_path / "w.safetensors", require_state=True)


def test_numpy_dict_weights(tiny, tokens):
    s = loom.Session(tiny, seed=9)
    weights = {name: np.array(s.params[name]) for name in tiny.params}
    t = loom.Session(tiny, weights=weights, seed=1)
    np.testing.assert_array_equal(t.run(tokens=tokens)["logits"],
                                  s.run(tokens=tokens)["logits"])
    # Copies, not views of the dict's arrays.
    weights["wte"][:] = 0
    assert t.params["wte"].any()
    # An alias names a parameter too.
    weights["lm_head.weight"] = weights.pop("wte")
    loom.Session(tiny, weights=weights)

    missing = dict(weights)
    del missing["ln_f.bias"]
    with pytest.raises(loom.LoomError, match="missing: ln_f.bias"):
        loom.Session(tiny, weights=missing)
    wrong = dict(weights, **{"ln_f.bias": np.zeros(3, np.float32)})
    with pytest.raises(loom.LoomError, match=r"'ln_f.bias': got float32 \[3\]"):
        loom.Session(tiny, weights=wrong)
    extra = dict(weights, bogus=np.zeros(1, np.float32))
    with pytest.raises(loom.LoomError, match="'bogus' names no parameter"):
        loom.Session(tiny, weights=extra)
    loom.Session(tiny, weights=extra, allow_extra=True)


def _write_safetensors(path, tensors):
    """A safetensors file of numpy arrays (as other frameworks write them)."""
    import json
    import struct
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
              np.dtype(np.float64): "F64"}
    header, body = {}, b""
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtypes[a.dtype], "shape": list(a.shape),
                        "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)


def test_import_weights_by_checkpoint_map(tiny, tokens, tmp_path):
    # GPT2LMHeadModel's layout: "transformer." prefix, wte.weight, a tied
    # lm_head.weight, mask buffers; one tensor stored as f64.
    s = loom.Session(tiny, seed=4)
    hf = {"transformer." + ({"wte": "wte.weight", "wpe": "wpe.weight"}.get(n, n)):
          np.array(s.params[n]) for n in tiny.params}
    hf["lm_head.weight"] = np.array(s.params["wte"])
    hf["transformer.h.0.attn.bias"] = np.ones((1, 1, 4, 4), np.float32)
    hf["transformer.ln_f.weight"] = hf["transformer.ln_f.weight"].astype(np.float64)
    _write_safetensors(tmp_path / "hf.safetensors", hf)
    t = loom.Session(tiny, seed=1)
    report = t.import_weights(tmp_path / "hf.safetensors")
    assert "with checkpoint map 'huggingface'" in report
    assert "ignored by the map (1): 'transformer.h.0.attn.bias'" in report
    np.testing.assert_array_equal(t.run(tokens=tokens)["logits"],
                                  s.run(tokens=tokens)["logits"])
    # A head the checkpoint lacks: an error, or kept with allow_missing.
    del hf["transformer.ln_f.bias"]
    _write_safetensors(tmp_path / "nohead.safetensors", hf)
    with pytest.raises(loom.LoomError, match="missing tensors.*'ln_f.bias'"):
        t.import_weights(tmp_path / "nohead.safetensors")
    assert "missing, initialization kept (1): 'ln_f.bias'" in t.import_weights(
        tmp_path / "nohead.safetensors", allow_missing=True)
    with pytest.raises(loom.LoomError, match="no checkpoint map 'flax'"):
        t.import_weights(tmp_path / "hf.safetensors", map="flax")


def test_split_step_trains_like_loom_train(models, tmp_path):
    """compile(split_step=True) makes the data-parallel halves; `loom train
    --micro-batches 1` on them gives the fused step's losses (the norm is
    taken in double by the runtime, so gradient norms agree to ~1e-7)."""
    import os
    art = loom.compile(os.path.join(models, "tiny_gpt.loom"), {"B": B, "T": T},
                       train=True, split_step=True, out=tmp_path / "split")
    names = art.functions
    assert {"train_step", "loss_grad", "apply__0"} <= set(names), names
    (tmp_path / "text.txt").write_bytes(TEXT)
    logs = {}
    for name, extra in (("fused", []), ("split", ["--micro-batches", 1])):
        r = run_tool(tool("LOOM_CLI"), "train", art.dir, "--data",
                     f"text:{tmp_path / 'text.txt'}", "--steps", STEPS, "--seed", 0,
                     "--threads", 1, "--log", tmp_path / f"{name}.csv", *extra)
        assert r.returncode == 0, r.stderr
        logs[name] = list(csv.DictReader(open(tmp_path / f"{name}.csv")))
    for f, s in zip(logs["fused"], logs["split"]):
        assert f["loss"] == s["loss"]
        assert abs(float(f["grad_norm"]) - float(s["grad_norm"])) <= 1e-6 * float(f["grad_norm"])
    with pytest.raises(ValueError, match="split_step goes with train"):
        loom.compile(os.path.join(models, "tiny_gpt.loom"), {"B": B, "T": T},
                     split_step=True)
