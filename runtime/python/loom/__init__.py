"""loom from Python: compile a model spec, run and train the artifact.

    import loom, numpy as np
    art = loom.compile("models/tiny_gpt.loom", dims={"B": 1, "T": 16})
    s = loom.Session(art, seed=0)
    logits = s.run(tokens=np.zeros((1, 16), np.int32))["logits"]

docs/python.md describes the API; every error of the compiler or the runtime
is a loom.LoomError (loom.SpecError for a located spec error).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _loom

__all__ = ["compile", "Artifact", "Session", "TensorInfo", "LoomError",
           "SpecError", "CompileError", "__version__"]

__version__ = "@LOOM_PYTHON_VERSION@"

LoomError = _loom.LoomError
LoomError.__module__ = "loom"


class SpecError(LoomError):
    """A spec error at a place in the spec: `str(e)` is loomc's
    `file:line:col: error: message` (one line per error); `diagnostics`
    holds (file, line, col, message) tuples."""

    def __init__(self, message: str, diagnostics=()):
        super().__init__(message)
        self.status = "spec"
        self.diagnostics = [tuple(d) for d in diagnostics]


class CompileError(LoomError):
    """A compile failure with no spec position (object emission, linking,
    writing the artifact)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.status = "compile"


# The Halide kernel bundle an artifact may link: the wheel carries it next
# to the extension; the build tree's loomc path is compiled in otherwise.
_bundle = os.path.join(os.path.dirname(__file__), "libloom_kernels_bundle.a")
if os.path.exists(_bundle) and not os.environ.get("LOOM_KERNELS_LIBRARY"):
    os.environ["LOOM_KERNELS_LIBRARY"] = _bundle

_NUMPY = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
          "bf16": np.dtype(np.uint16),  # raw bits: numpy has no bfloat16
          "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
          "i1": np.dtype(np.bool_)}


@dataclass(frozen=True)
class TensorInfo:
    """A tensor of the artifact's manifest. `dtype` is loom's name ("f32");
    `numpy_dtype` what arrays of it are (bf16: uint16 bit patterns).
    `range` (integer inputs): valid values lo <= v < hi, plus `ignore`."""
    name: str
    dtype: str
    shape: tuple
    nbytes: int
    range: Optional[tuple] = None
    ignore: Optional[int] = None

    @property
    def numpy_dtype(self) -> np.dtype:
        return _NUMPY[self.dtype]


def _infos(dicts) -> dict:
    return {d["name"]: TensorInfo(**d) for d in dicts}


def _error(message: str, status: str) -> LoomError:
    error = LoomError(message)
    error.status = status
    return error


def _describe(dtype, shape) -> str:
    return f"{dtype} [{', '.join(str(int(d)) for d in shape)}]"


def compile(spec, dims: Optional[Mapping] = None, train=False, out=None, *,
            grad: bool = False, weight_decay=None, beta1=None, beta2=None,
            eps=None, momentum=None, clip_norm=None, kernels: str = "auto",
            kernel_cache: Optional[str] = None, fusion: bool = True,
            mcpu: str = "native", jobs: int = 0,
            spec_name: str = "<spec>",
            config: Optional[Mapping] = None,
            split_step: bool = False) -> "Artifact":
    """Compiles a model spec in process, as `loomc SPEC -o OUT --dim ...`.

    spec: a path (str or os.PathLike; `.json` is the JSON syntax), or the
    spec's text (a str that names no file and has a newline or starts with
    '{', the JSON syntax), whose errors are reported at spec_name:line:col.
    dims: every symbolic dim bound, e.g. {"B": 1, "T": 16}.
    config: config entries to replace (loomc --config), e.g. {"d": 384}.
    train: False, True / "adamw" or "sgd": add @train_step (loomc --train),
    with the optimizer's hyperparameters (loomc's defaults when None).
    split_step: with train, also the step in two halves for data-parallel
    training (loomc --split-step: @loss_grad and @apply__<i>; run it with
    `mpirun -np N loom train`, docs/distributed.md).
    out: the artifact directory; None compiles into a temporary directory
    removed when the Artifact and every Session on it are gone.
    Raises SpecError (located), ValueError (bad options) or CompileError.
    """
    is_text = isinstance(spec, str) and not os.path.isfile(spec) and (
        "\n" in spec or spec.lstrip().startswith("{"))
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and not is_text):
        path, text = os.fspath(spec), ""
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such spec file")
    elif isinstance(spec, str):
        path, text = "", spec
    else:
        raise TypeError(f"spec must be a path or spec text, got {type(spec).__name__}")
    train = "adamw" if train is True else (train or "")
    temporary = out is None
    out = tempfile.mkdtemp(prefix="loom-") if temporary else os.fspath(out)
    hyper = {k: float(v) for k, v in dict(
        weight_decay=weight_decay, beta1=beta1, beta2=beta2, eps=eps,
        momentum=momentum, clip_norm=clip_norm).items() if v is not None}
    kind, message, diagnostics = _loom.compile(
        path, text, spec_name, text.lstrip().startswith("{"), out,
        {str(k): int(v) for k, v in (dims or {}).items()}, train, grad, hyper,
        kernels, kernel_cache or "", fusion, mcpu, jobs,
        [(str(k), int(v)) for k, v in (config or {}).items()], bool(split_step))
    if kind != "ok":
        if temporary:
            shutil.rmtree(out, ignore_errors=True)
        if kind == "spec":
            raise SpecError(message, diagnostics)
        if kind == "usage":
            raise ValueError(message)
        raise CompileError(message)
    artifact = Artifact(out)
    if temporary:
        artifact._cleanup = weakref.finalize(artifact, shutil.rmtree, out, True)
    return artifact


class Artifact:
    """A compiled artifact directory (model.so + manifest.json), opened.

    params, inputs, state: {name: TensorInfo}; functions: names;
    outputs[function]: {name: TensorInfo}. Immutable; any number of
    sessions may share it."""

    def __init__(self, dir):
        self.dir = os.fspath(dir)
        self._native = _loom.Artifact(self.dir)
        self.model = self._native.model
        self.tokenizer = self._native.tokenizer or None
        self.params = _infos(self._native.params())
        self.inputs = _infos(self._native.inputs())
        self.state = _infos(self._native.state())
        self.functions = list(self._native.functions())
        self.outputs = {f: _infos(self._native.outputs(f)) for f in self.functions}

    def __repr__(self):
        return (f"loom.Artifact({self.dir!r}, model={self.model!r}, "
                f"functions={self.functions})")


class _TensorMap(Mapping):
    """name -> a fresh zero-copy view of the session's tensor (by name or
    alias). Views are writable; their base keeps the session alive."""

    def __init__(self, session, infos, get):
        self._session, self._infos, self._get = session, infos, get

    def __getitem__(self, name):
        return self._get(name)

    def __iter__(self):
        return iter(self._infos)

    def __len__(self):
        return len(self._infos)

    def __repr__(self):
        return f"<{len(self)} tensors: {', '.join(self._infos)}>"


class Session:
    """Buffers and threads for running one artifact (one thread at a time).

    weights: None (seeded init from the manifest's inits, as `loom init
    --seed`), a .safetensors path, or a dict {name: array} holding every
    parameter (by name or alias; dtypes and shapes exactly the manifest's).
    threads: kernel threads (default LOOM_NUM_THREADS, else all).
    """

    def __init__(self, artifact, weights=None, seed: int = 0,
                 threads: Optional[int] = None, allow_extra: bool = False):
        if not isinstance(artifact, Artifact):
            artifact = Artifact(artifact)
        self.artifact = artifact
        self._native = _loom.Session(artifact._native)
        # The C ABI's "one thread at a time": a run (inputs, call, outputs)
        # holds the lock, and waiting for it releases the GIL.
        self._lock = threading.Lock()
        if threads is not None:
            self._native.threads = int(threads)
        self.params = _TensorMap(self, artifact.params, self._native.param)
        self.state = _TensorMap(self, artifact.state, self._native.state)
        self.step = 0
        self.last_grad_norm = None
        if weights is None:
            self._native.init_params(int(seed))
        elif isinstance(weights, Mapping):
            self._native.init_params(int(seed))  # marks the parameters set
            self.set_weights(weights, allow_extra=allow_extra)
        else:
            self.load_weights(weights, allow_extra=allow_extra)

    @property
    def threads(self) -> int:
        return self._native.threads

    @threads.setter
    def threads(self, n: int):
        self._native.threads = int(n)

    # ---- weights ------------------------------------------------------------
    def load_weights(self, path, allow_extra: bool = False,
                     require_state: bool = False):
        """Loads a safetensors file (weights or a checkpoint with optimizer
        state); nothing is loaded if any tensor is missing or misshaped."""
        flags = (_loom.LOAD_ALLOW_EXTRA if allow_extra else 0) | \
                (_loom.LOAD_REQUIRE_STATE if require_state else 0)
        with self._lock:
            self._native.load_weights(os.fspath(path), flags)

    def import_weights(self, path, map: Optional[str] = None,
                       allow_missing: bool = False, allow_extra: bool = False) -> str:
        """Loads another framework's checkpoint (a safetensors file, a
        directory with model.safetensors, or a sharded index), renamed by the
        spec's checkpoint map `map` (default: the first the spec declares),
        as `loom import-weights` (docs/checkpoints.md). allow_missing keeps
        the current values of parameters it lacks. Returns the report."""
        flags = (_loom.LOAD_ALLOW_EXTRA if allow_extra else 0) | \
                (_loom.LOAD_ALLOW_MISSING if allow_missing else 0)
        with self._lock:
            return self._native.import_weights(os.fspath(path), map or "", flags)

    def save_weights(self, path):
        """Writes every parameter (atomically) under its manifest name."""
        with self._lock:
            self._native.save_weights(os.fspath(path))

    def save_checkpoint(self, path, metadata: Optional[Mapping] = None):
        """Parameters and optimizer state, plus string metadata."""
        meta = [(str(k), str(v)) for k, v in (metadata or {}).items()]
        with self._lock:
            self._native.save_checkpoint(os.fspath(path), meta)

    def set_weights(self, weights: Mapping, allow_extra: bool = False):
        """Copies arrays into the parameters. Every parameter must be given
        (under its name or an alias); all are checked before any is written."""
        # Names and aliases resolve to storage: one address per parameter.
        address = lambda a: a.__array_interface__["data"][0]
        owner = {address(self._native.param(n)): n for n in self.artifact.params}
        views, errors = {}, []
        for name, value in weights.items():
            try:
                view = self._native.param(str(name))
            except LoomError:
                if not allow_extra:
                    errors.append(f"'{name}' names no parameter")
                continue
            array = np.asarray(value)
            if array.dtype != view.dtype or array.shape != view.shape:
                errors.append(f"'{name}': got {array.dtype} {list(array.shape)}, "
                              f"the artifact has {view.dtype} {list(view.shape)}")
            views[owner[address(view)]] = (view, array)
        missing = [n for n in self.artifact.params if n not in views]
        if missing:
            errors.append("missing: " + ", ".join(missing))
        if errors:
            raise _error("weights: " + "; ".join(errors), "LOOM_ERR_MISMATCH")
        with self._lock:
            for view, array in views.values():
                np.copyto(view, array)

    # ---- running ------------------------------------------------------------
    def _set_inputs(self, inputs: Mapping):
        for name, value in inputs.items():
            info = self.artifact.inputs.get(name)
            if info is None:
                # The runtime's message lists the inputs there are.
                self._native.set_input(name, _loom.DTYPES["f32"],
                                       np.zeros((), np.float32))
                continue
            if isinstance(value, (np.ndarray, np.generic)):
                array = np.asarray(value)  # no copy; its dtype must match
            else:  # lists and Python scalars take the input's dtype
                array = np.asarray(value, dtype=info.numpy_dtype)
            if array.dtype != info.numpy_dtype:
                raise _error(f"input '{name}': got {array.dtype} "
                             f"{list(array.shape)}, the artifact takes "
                             f"{_describe(info.dtype, info.shape)} "
                             f"(numpy {info.numpy_dtype})", "LOOM_ERR_MISMATCH")
            self._native.set_input(name, _loom.DTYPES[info.dtype],
                                   np.require(array, requirements="C"))

    def run(self, function: str = "forward", inputs: Optional[Mapping] = None,
            *, copy: bool = True, **named) -> dict:
        """Sets the given inputs (copied into the runtime's buffers), calls
        `function` and returns {output name: array}. Inputs set by earlier
        calls stay set. copy=True (default) returns arrays of their own;
        copy=False returns read-only views of the runtime's output buffers,
        valid until the session's next run (which overwrites them)."""
        with self._lock:
            self._set_inputs({**(inputs or {}), **named})
            self._native.run(function)
            return {name: self._native.output(function, name, copy)
                    for name in self.artifact.outputs[function]}

    def train_step(self, inputs: Optional[Mapping] = None, *, lr: float = 1e-3,
                   **named) -> float:
        """One compiled training step (compile with train=True): forward,
        backward, clipping and the optimizer update, written into the
        parameters and optimizer state in place. Returns the loss (before
        the update); `step` counts the steps (optim.step = step) and
        `last_grad_norm` is the step's gradient norm before clipping."""
        if "train_step" not in self.artifact.outputs:
            raise _error(f"artifact '{self.artifact.dir}' has no train_step "
                         "(compile with train=True)", "LOOM_ERR_NOT_FOUND")
        with self._lock:
            self._set_inputs({**(inputs or {}), **named})
            self._set_inputs({"optim.lr": np.float32(lr),
                              "optim.step": np.float32(self.step + 1)})
            self._native.run("train_step")
            self.step += 1
            self.last_grad_norm = float(
                self._native.output("train_step", "optim.grad_norm", True))
            return float(self._native.output("train_step", "loss", True))

    def __repr__(self):
        return f"loom.Session({self.artifact.model!r}, threads={self.threads})"
