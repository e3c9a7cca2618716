"""Fixtures for the loom package's tests (ctest -R python; docs/python.md).

The build passes where things are: PYTHONPATH (build/python), LOOMC and
LOOM_CLI (the two tools, the oracles here), LOOM_MODELS, LOOM_WHEEL. Each
model is compiled once per test session: tiny_gpt with its training step
(it has forward and loss too), and a one-layer linear model from spec text.
"""
import os
import subprocess

import numpy as np
import pytest

import loom

B, T = 2, 16

# A spec given as text (no file): y = x @ w + b.
LINEAR_SPEC = """model linear
dims B
input x: f32[B, 4]
param w: f32[4, 3] init normal(std=0.5)
param b: f32[3] init normal(std=0.5)
y = linear(x, w, b)
output y
"""


def tool(name: str) -> str:
    path = os.environ.get(name)
    if not path or not os.path.exists(path):
        pytest.skip(f"{name} is not set to a built tool (run through ctest)")
    return path


def run_tool(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          **kwargs)


@pytest.fixture(scope="session")
def models() -> str:
    return os.environ.get("LOOM_MODELS") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "models")


@pytest.fixture(scope="session")
def tiny(models, tmp_path_factory) -> loom.Artifact:
    """tiny_gpt at B=2, T=16 with @train_step (AdamW, loomc's defaults)."""
    out = tmp_path_factory.mktemp("tiny_gpt")
    return loom.compile(os.path.join(models, "tiny_gpt.loom"),
                        dims={"B": B, "T": T}, train=True, out=out)


@pytest.fixture(scope="session")
def linear() -> loom.Artifact:
    """The linear spec, from text, into a temporary directory; its matmul
    a Halide kernel (the artifact links the kernel bundle)."""
    return loom.compile(LINEAR_SPEC, dims={"B": 3}, kernels="halide")


@pytest.fixture
def tokens() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, size=(B, T), dtype=np.int32)
