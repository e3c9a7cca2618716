"""Spec errors, bad inputs and runtime failures become Python exceptions."""
import numpy as np
import pytest

import loom
from conftest import B, LINEAR_SPEC, T, run_tool, tool

BAD_SHAPES = LINEAR_SPEC.replace("param w: f32[4, 3]", "param w: f32[5, 3]")


def test_spec_error_in_text_has_its_position():
    with pytest.raises(loom.SpecError) as e:
        loom.compile(BAD_SHAPES, dims={"B": 1}, spec_name="lin.loom")
    message = str(e.value)
    assert message.startswith("lin.loom:6:5: error:"), message
    file, line, col, text = e.value.diagnostics[0]
    assert (file, line, col) == ("lin.loom", 6, 5)
    assert isinstance(e.value, loom.LoomError)


@pytest.mark.parametrize("spec", [
    BAD_SHAPES,                                        # a shape error (verifier)
    LINEAR_SPEC.replace("y = linear", "y = lineer"),   # an unknown op
    LINEAR_SPEC.replace("dims B\n", "dims B\n)\n"),    # a syntax error
], ids=["shape", "unknown-op", "syntax"])
def test_spec_error_in_a_file_is_what_loomc_prints(spec, tmp_path):
    path = tmp_path / "bad.loom"
    path.write_text(spec)
    with pytest.raises(loom.SpecError) as e:
        loom.compile(path, dims={"B": 1}, out=tmp_path / "out")
    r = run_tool(tool("LOOMC"), path, "--dim", "B=1", "-o", tmp_path / "out2")
    assert r.returncode == 1
    assert str(e.value) == r.stderr.strip()
    assert str(e.value).startswith(f"{path}:")


def test_bad_options():
    with pytest.raises(ValueError, match="declares no dim 'X'"):
        loom.compile(LINEAR_SPEC, dims={"B": 1, "X": 2})
    with pytest.raises(ValueError, match="needs static shapes: bind B"):
        loom.compile(LINEAR_SPEC)
    with pytest.raises(ValueError, match="needs a loss"):
        loom.compile(LINEAR_SPEC, dims={"B": 1}, train=True)
    with pytest.raises(ValueError, match="beta1, beta2 and momentum must be below 1"):
        loom.compile(LINEAR_SPEC, dims={"B": 1}, train=True, beta1=1.5)
    with pytest.raises(FileNotFoundError):
        loom.compile("no/such/model.loom", dims={"B": 1})


def test_input_errors(tiny, tokens):
    s = loom.Session(tiny)
    with pytest.raises(loom.LoomError, match=r"has no input 'tokenz' \(inputs: ") as e:
        s.run(tokenz=tokens)
    assert e.value.status == "LOOM_ERR_NOT_FOUND"
    with pytest.raises(loom.LoomError, match=r"input 'tokens': got i32 \[2, 8\], "
                       r"the artifact takes i32 \[2, 16\]") as e:
        s.run(tokens=tokens[:, :8])
    assert e.value.status == "LOOM_ERR_MISMATCH"
    with pytest.raises(loom.LoomError, match=r"input 'tokens': got int64 \[2, 16\]"):
        s.run(tokens=tokens.astype(np.int64))
    bad = tokens.copy()
    bad[1, 3] = 300
    with pytest.raises(loom.LoomError, match="300") as e:
        s.run(tokens=bad)
    with pytest.raises(loom.LoomError, match="no function 'backward'|'backward'") as e:
        s.run("backward", tokens=tokens)
    assert e.value.status == "LOOM_ERR_NOT_FOUND"


def test_runtime_errors_carry_the_runtime_message(tiny, tmp_path):
    with pytest.raises(loom.LoomError) as e:
        loom.Artifact(tmp_path)
    assert "manifest.json" in str(e.value) and e.value.status == "LOOM_ERR_IO"
    with pytest.raises(loom.LoomError, match="nothing.safetensors"):
        loom.Session(tiny, weights=tmp_path / "nothing.safetensors")
    with pytest.raises(loom.LoomError):
        loom.Session(tiny).threads = 0
    with pytest.raises(loom.LoomError, match="no train_step"):
        loom.Session(loom.compile(LINEAR_SPEC, dims={"B": 1})).train_step(x=[[0] * 4])
