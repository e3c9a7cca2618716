#!/usr/bin/env python3
"""loom vs PyTorch / onnxruntime / numpy on this machine: the driver behind
bench/run (which installs the peers into bench/.venv and runs this file with
that venv's python).

What it does, in one run:
  1. builds bench/peak.c and measures the peak fp32 GFLOP/s (AVX-512 FMA)
     on 1 thread and on the benchmark's thread count;
  2. for every row (a model forward, a training step or a GEMM): compiles
     the loom artifact (cached in bench/work/artifacts, keyed by spec, dims,
     flags and the loomc binary's mtime; the compile time measured when it
     was compiled is reported), writes one set of random inputs that loom
     and the peers both read, starts one long-lived worker per peer
     (bench/peers/worker.py: eager PyTorch, torch.compile, onnxruntime,
     numpy), then measures loom and the peers round-robin for several
     rounds (the order rotates each round);
  3. writes a Markdown report (bench/RESULTS.md for a full run) and the raw
     numbers as JSON in bench/work/ (RESULTS.json for a full run).

Usage: bench/run [--build DIR] [--threads N] [--rounds R] [--quick]
                 [--only ROW[,ROW...]] [--skip IMPL[,IMPL...]] [--list]
                 [--target-s S] [--out FILE] [--reuse-torch-cache]
Run `bench/run --help` for the details.
"""
import argparse
import datetime
import fnmatch
import hashlib
import json
import math
import os
import queue
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from report import fmt_time, gather_meta, reference_peak, report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
WORK = os.path.join(BENCH, "work")
PEERS = os.path.join(BENCH, "peers")


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ------------------------------------------------------------ FLOP counts --
# Multiply-adds of the matmuls (2 FLOPs each) plus attention's two batched
# matmuls (QK^T and AV, 2*T*T*d each per layer and sequence, counted in full
# even where causal). Elementwise work, norms and softmax are left out; for
# the full-size models the totals agree with `loomc info` to within 1%.

def gpt_forward_flops(vocab, d, n_layer, B, T):
    per_token = n_layer * (d * 3 * d + d * d + 2 * d * 4 * d) + d * vocab
    return 2 * B * T * per_token + n_layer * B * 4 * T * T * d


def bert_forward_flops(B, T, vocab=30522, d=768, n_layer=12):
    per_token = n_layer * (4 * d * d + 2 * d * 4 * d) + d * d + d * vocab
    return 2 * B * T * per_token + n_layer * B * 4 * T * T * d + 2 * B * (d * d + 2 * d)


def vit_forward_flops(B, d=768, n_layer=12, image=224, patch=16, classes=1000):
    n = (image // patch) ** 2
    T = n + 1
    return (2 * B * n * (3 * patch * patch) * d
            + 2 * B * T * n_layer * (4 * d * d + 2 * d * 4 * d)
            + n_layer * B * 4 * T * T * d + 2 * B * d * classes)


# The rows' kernel choice cache (loomc --kernel-cache): never written, so
# rows compile with the cost model's choices whatever the user autotuned.
KERNEL_CACHE = os.path.join(WORK, "kernel-choices-none.json")


def autotune_table(loom):
    """`loomc --autotune` on GPT-2 B1 T1024 (forward) into a scratch cache:
    loom's MLIR kernel vs the Halide kernel per op instance. Returns the
    markdown lines of the table (or of the failure)."""
    cache = os.path.join(WORK, "autotune-gpt2-t1024.json")
    if os.path.exists(cache):
        os.remove(cache)
    out = os.path.join(WORK, "autotune-gpt2-t1024")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [loom.loomc, os.path.join(ROOT, "models/gpt2.loom"), "--dim", "B=1", "--dim", "T=1024",
           "--autotune", "--kernel-cache", cache, "-o", out]
    log("autotune: " + " ".join(cmd[1:]))
    rc, outtext, err, _ = run_measured(cmd, os.environ.copy(), timeout=1800)
    shutil.rmtree(out, ignore_errors=True)
    L = ["## Halide vs MLIR per op (loomc --autotune)\n",
         "`loomc models/gpt2.loom --dim B=1 --dim T=1024 --autotune`: every op instance "
         "a Halide kernel can compute, compiled alone both ways and timed through the "
         "runtime (median of 7 alternating rounds); the cost model's choice stays unless "
         "the other is more than 3% faster (docs/kernels.md).\n",
         "| op instance | loom MLIR | Halide | chosen |", "| --- | ---: | ---: | --- |"]
    found = False
    for line in (err or "").splitlines():
        m = re.match(r"loomc: autotune: (.*?)\s+mlir\s+([0-9.]+) us\s+halide\s+([0-9.]+) us\s+-> (\w+)", line)
        if m:
            found = True
            L.append("| %s | %s | %s | %s |" % (m.group(1).strip(), fmt_time(float(m.group(2)) * 1e-6),
                                               fmt_time(float(m.group(3)) * 1e-6), m.group(4)))
    if rc != 0 or not found:
        L.append("| (autotune failed, rc %d: %s) | | | |" % (rc, (err or outtext).strip()[-300:]))
    L.append("")
    return L


# ------------------------------------------------------------------ rows --
@dataclass
class Row:
    name: str
    title: str
    kind: str            # gpt_fwd | gpt_train | bert_fwd | vit_fwd | gemm
    spec: str            # path relative to ROOT, or generated under WORK
    dims: dict
    flops: float
    peers: list
    train: bool = False
    model: str = ""      # gpt2 | tiny_gpt for GPT rows
    vocab: int = 0
    gemm: tuple = ()     # (M, K, N)
    quick: bool = False  # part of --quick
    heavy_compile: bool = False  # torch.compile here takes minutes
    ctx: int = 0         # gpt_decode: the position of the new token + 1
    loom_flags: list = field(default_factory=list)  # more loomc flags
    loom_function: str = ""  # the function loom runs, if not the default
    artifact_name: str = ""  # rows sharing one artifact name it alike
    nocache: bool = False    # gpt_decode: also loom without the cache

    @property
    def function(self):
        if self.loom_function:
            return self.loom_function
        return "train_step" if self.train else "forward"


GEMM_SHAPES = [(256, 768, 2304), (256, 768, 768), (256, 768, 3072),
               (256, 3072, 768), (256, 768, 50257)]
FWD_PEERS = ["torch-eager", "torch-compile", "onnxruntime"]
TRAIN_PEERS = ["torch-eager", "torch-compile"]


def all_rows():
    rows = [
        Row("gpt2_fwd_b1t128", "GPT-2 small forward B1 T128", "gpt_fwd",
            "models/gpt2.loom", {"B": 1, "T": 128},
            gpt_forward_flops(50257, 768, 12, 1, 128), FWD_PEERS,
            model="gpt2", vocab=50257),
        Row("gpt2_fwd_b1t64", "GPT-2 small forward B1 T64", "gpt_fwd",
            "models/gpt2.loom", {"B": 1, "T": 64},
            gpt_forward_flops(50257, 768, 12, 1, 64), FWD_PEERS,
            model="gpt2", vocab=50257, quick=True),
        Row("gpt2_train_b4t64", "GPT-2 small train step B4 T64 (AdamW)", "gpt_train",
            "models/gpt2.loom", {"B": 4, "T": 64},
            3 * gpt_forward_flops(50257, 768, 12, 4, 64), TRAIN_PEERS,
            train=True, model="gpt2", vocab=50257, heavy_compile=True),
        # Long context, where attention matters: loom as it compiles by
        # default (--kernels=auto without a choice cache: the cost model
        # keeps loom's own kernels, fused attention included), and with
        # every op a Halide kernel covers given to it (--kernels=halide).
        Row("gpt2_fwd_b1t1024", "GPT-2 small forward B1 T1024", "gpt_fwd",
            "models/gpt2.loom", {"B": 1, "T": 1024},
            gpt_forward_flops(50257, 768, 12, 1, 1024), FWD_PEERS,
            model="gpt2", vocab=50257),
        Row("gpt2_fwd_b1t1024_halide", "GPT-2 small forward B1 T1024, --kernels=halide",
            "gpt_fwd", "models/gpt2.loom", {"B": 1, "T": 1024},
            gpt_forward_flops(50257, 768, 12, 1, 1024), [],
            model="gpt2", vocab=50257, loom_flags=["--kernels=halide"]),
        # What fusion buys: loom with every loom-fuse-* pass left out.
        Row("gpt2_fwd_b1t128_nofusion", "GPT-2 small forward B1 T128, --no-fusion",
            "gpt_fwd", "models/gpt2.loom", {"B": 1, "T": 128},
            gpt_forward_flops(50257, 768, 12, 1, 128), [],
            model="gpt2", vocab=50257, loom_flags=["--no-fusion"]),
        Row("gpt2_train_b4t64_nofusion", "GPT-2 small train step B4 T64 (AdamW), --no-fusion",
            "gpt_train", "models/gpt2.loom", {"B": 4, "T": 64},
            3 * gpt_forward_flops(50257, 768, 12, 4, 64), [],
            train=True, model="gpt2", vocab=50257, loom_flags=["--no-fusion"]),
        Row("gpt2_train_b1t1024", "GPT-2 small train step B1 T1024 (AdamW)", "gpt_train",
            "models/gpt2.loom", {"B": 1, "T": 1024},
            3 * gpt_forward_flops(50257, 768, 12, 1, 1024), TRAIN_PEERS,
            train=True, model="gpt2", vocab=50257, heavy_compile=True),
        Row("bert_fwd_b8t128", "BERT-base forward B8 T128", "bert_fwd",
            "models/bert_base_uncased.loom", {"B": 8, "T": 128},
            bert_forward_flops(8, 128), FWD_PEERS, vocab=30522),
        Row("vit_fwd_b8", "ViT-B/16 forward B8", "vit_fwd",
            "models/vit_b16.json", {"B": 8}, vit_forward_flops(8), FWD_PEERS),
        Row("tinygpt_train_b16t64", "tiny GPT train step B16 T64 (AdamW)", "gpt_train",
            "models/tiny_gpt.loom", {"B": 16, "T": 64},
            3 * gpt_forward_flops(256, 64, 2, 16, 64), TRAIN_PEERS,
            train=True, model="tiny_gpt", vocab=256, quick=True),
    ]
    # One generated token at context length T: loom's decode step over the
    # cache bucket that holds T positions (one artifact, loomc --decode at
    # T = 1024, buckets 64 ... 1024), beside loom recomputing the forward
    # over the T tokens (no cache) and PyTorch with its KV cache.
    for T in (64, 256, 1024):
        bucket = next(b for b in (64, 128, 256, 512, 1024) if b >= T)
        rows.append(Row("gpt2_decode_t%d" % T,
                        "GPT-2 small, one token at T%d (KV cache)" % T, "gpt_decode",
                        "models/gpt2.loom", {"B": 1, "T": 1024},
                        gpt_forward_flops(50257, 768, 12, 1, 1) + 12 * 4 * T * 768,
                        ["torch-eager"], model="gpt2", vocab=50257, ctx=T,
                        loom_flags=["--decode"], loom_function="decode_%d" % bucket,
                        artifact_name="gpt2_decode_b1t1024", nocache=True,
                        quick=(T == 256)))
    for (M, K, N) in GEMM_SHAPES:
        rows.append(Row("gemm_%d_%d_%d" % (M, K, N), "GEMM M%d K%d N%d" % (M, K, N),
                        "gemm", os.path.join(WORK, "specs", "gemm_%d_%d_%d.loom" % (M, K, N)),
                        {}, 2.0 * M * K * N, ["numpy", "torch", "torch-onednn"], gemm=(M, K, N),
                        quick=(K, N) in ((768, 768), (768, 3072))))
    return rows


def write_gemm_spec(row):
    M, K, N = row.gemm
    os.makedirs(os.path.dirname(row.spec), exist_ok=True)
    text = ("# One GEMM of GPT-2 training, written by bench/bench.py.\n"
            "model gemm_%d_%d_%d\n\nconfig {\n  M = %d\n  K = %d\n  N = %d\n}\n\n"
            "input x: f32[M, K]\nparam w: f32[K, N] init normal(std=0.02)\n\n"
            "y = matmul(x, w)\n\noutput y\n" % (M, K, N, M, K, N))
    old = open(row.spec).read() if os.path.exists(row.spec) else None
    if old != text:
        with open(row.spec, "w") as f:
            f.write(text)


# ------------------------------------------------------------ processes --
def child_env(threads, extra=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "LOOM_NUM_THREADS"):
        env[var] = str(threads)
    # This machine sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS
    # builds; they slow a current numpy, so the benchmark unsets both (the
    # kernel numpy then runs is reported through threadpoolctl).
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if extra:
        env.update(extra)
    return env


def run_measured(cmd, env, timeout=None):
    """Runs cmd; returns (returncode, stdout, stderr, peak RSS in KiB) with
    the peak RSS of that child alone (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        deadline = time.time() + timeout if timeout else None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.time() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (p.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), ru.ru_maxrss)


class Worker:
    """A peer process (bench/peers/worker.py) for one row and impl."""

    def __init__(self, task, env, logpath):
        self.task = task
        self.logfile = open(logpath, "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(PEERS, "worker.py"), json.dumps(task)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.logfile,
            env=env, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.maxrss_kb = None

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self.lines.put(json.loads(line[3:]))
            else:
                self.logfile.write(line)
        self.lines.put({"error": "worker exited"})

    def receive(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return {"error": "no answer in %d s" % timeout}

    def send(self, cmd):
        try:
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def close(self):
        self.send("quit")
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.time() + 30
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                self.proc.kill()
                pid, status, ru = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.05)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.maxrss_kb = ru.ru_maxrss
        self.logfile.close()


# ----------------------------------------------------------------- loom --
class Loom:
    """The loom binaries, snapshotted at start (someone may relink build/
    while the benchmark runs), and the artifact cache."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        src = {b: os.path.join(self.build, "bin", b) for b in ("loomc", "loom")}
        for attempt in range(30):  # build/bin may be mid-relink
            try:
                st = {b: os.stat(p) for b, p in src.items()}
                if time.time() - max(x.st_mtime for x in st.values()) < 10:
                    log("build/bin was written seconds ago (a relink?); waiting for it to settle")
                    time.sleep(10)
                    continue
                tag = hashlib.sha256(json.dumps(
                    {b: [s.st_mtime_ns, s.st_size] for b, s in st.items()}).encode()).hexdigest()[:12]
                dst = os.path.join(WORK, "bin", tag)
                if not all(os.path.exists(os.path.join(dst, b)) for b in src):
                    tmp = dst + ".tmp%d" % os.getpid()
                    os.makedirs(tmp, exist_ok=True)
                    for b, p in src.items():
                        shutil.copy2(p, os.path.join(tmp, b))
                    if any(os.stat(p).st_mtime_ns != st[b].st_mtime_ns for b, p in src.items()):
                        shutil.rmtree(tmp)
                        raise OSError("build/bin changed while being copied")
                    if os.path.exists(dst):
                        shutil.rmtree(dst)
                    os.rename(tmp, dst)
                self.loomc_stat = st["loomc"]
                break
            except (FileNotFoundError, OSError) as e:
                if attempt == 29 or not os.path.isdir(os.path.join(self.build, "bin")):
                    raise SystemExit("bench: cannot read %s/bin/{loomc,loom}: %s" % (self.build, e))
                log("build/bin not readable (%s); retrying in 10 s" % e)
                time.sleep(10)
        else:
            raise SystemExit("bench: %s/bin kept changing for 5 minutes" % self.build)
        for old in os.listdir(os.path.join(WORK, "bin")):  # older snapshots
            if old != tag and ".tmp" not in old:
                shutil.rmtree(os.path.join(WORK, "bin", old), ignore_errors=True)
        self.loomc = os.path.join(dst, "loomc")
        self.loom = os.path.join(dst, "loom")
        log("loom binaries: %s (snapshot of %s/bin, loomc mtime %s)" % (
            dst, self.build, time.strftime("%Y-%m-%d %H:%M:%S",
                                           time.localtime(self.loomc_stat.st_mtime))))

    def artifact(self, row):
        """Compiles row's spec (or reuses the cached artifact). Returns
        (artifact dir, compile info dict) or raises RuntimeError."""
        spec = os.path.join(ROOT, row.spec)
        flags = [arg for k, v in sorted(row.dims.items()) for arg in ("--dim", "%s=%d" % (k, v))]
        if row.train:
            flags.append("--train")
        flags += row.loom_flags
        key = hashlib.sha256(json.dumps({
            "spec": open(spec, "rb").read().decode(errors="replace"), "flags": flags,
            "loomc": [self.loomc_stat.st_mtime_ns, self.loomc_stat.st_size]}).encode()).hexdigest()[:16]
        name = row.artifact_name or row.name
        art = os.path.join(WORK, "artifacts", "%s-%s" % (name, key))
        meta = os.path.join(art, "compile.json")
        if os.path.exists(meta):
            info = json.load(open(meta))
            info["cached"] = True
            return art, info
        tmp = art + ".tmp%d" % os.getpid()
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(art), exist_ok=True)
        # loomc's defaults, with the cost model choosing the kernels.
        cmd = [self.loomc, spec] + flags + ["--kernel-cache", KERNEL_CACHE, "-o", tmp]
        log("compiling: loomc %s %s" % (row.spec, " ".join(flags)))
        t0 = time.perf_counter()
        rc, out, err, rss = run_measured(cmd, os.environ.copy(), timeout=3600)
        dt = time.perf_counter() - t0
        if rc != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError("loomc failed (rc %d): %s" % (rc, (err or out).strip()[-600:]))
        info = {"compile_s": dt, "compile_maxrss_kb": rss,
                "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "cmd": "loomc %s %s" % (row.spec, " ".join(flags))}
        with open(os.path.join(tmp, "compile.json"), "w") as f:
            json.dump(info, f, indent=1)
        shutil.rmtree(art, ignore_errors=True)
        os.rename(tmp, art)
        for old in os.listdir(os.path.dirname(art)):  # this row's stale artifacts
            if old.startswith(name + "-") and ".tmp" not in old and old != os.path.basename(art):
                shutil.rmtree(os.path.join(os.path.dirname(art), old), ignore_errors=True)
        info["cached"] = False
        return art, info

    def run(self, art, row, input_flags, reps, env):
        """One `loom run --repeat reps`: returns (median s, min s, peak RSS KiB)."""
        cmd = [self.loom, "run", art, "--seed", "0"] + input_flags + [
            "--function", row.function, "--repeat", str(reps)]
        rc, out, err, rss = run_measured(cmd, env, timeout=3600)
        m = re.search(r"median ([0-9.]+) ms, min ([0-9.]+) ms", out)
        if rc != 0 or not m:
            raise RuntimeError("loom run failed (rc %d): %s" % (rc, (err or out).strip()[-600:]))
        return float(m.group(1)) / 1e3, float(m.group(2)) / 1e3, rss


def spec_inputs(row):
    """The row's model inputs as the spec declares them: what the peers need
    when there is no loom manifest to read them from (loomc failed)."""
    B, T = row.dims.get("B"), row.dims.get("T")
    if row.kind == "gemm":
        return [{"name": "x", "dtype": "f32", "shape": list(row.gemm[:2])}]
    if row.kind in ("gpt_fwd", "gpt_train"):
        return [{"name": n, "dtype": "i32", "shape": [B, T]} for n in ("tokens", "targets")]
    if row.kind == "gpt_decode":
        return []
    if row.kind == "bert_fwd":
        return ([{"name": n, "dtype": "i32", "shape": [B, T]} for n in ("tokens", "token_types")]
                + [{"name": "attention_mask", "dtype": "i1", "shape": [B, T]},
                   {"name": "mlm_targets", "dtype": "i32", "shape": [B, T]},
                   {"name": "nsp_labels", "dtype": "i32", "shape": [B]}])
    if row.kind == "vit_fwd":
        return [{"name": "pixels", "dtype": "f32", "shape": [B, 3, 224, 224]},
                {"name": "labels", "dtype": "i32", "shape": [B]}]
    raise ValueError(row.kind)


def make_inputs(row, art, directory):
    """Seeded random inputs for every input in the artifact's manifest (or,
    without an artifact, the spec's inputs), written as .npy files that loom
    and the peers both read. Token ids span the vocabulary; the BERT mask
    keeps all but the last position; the training step gets lr 1e-4 at
    step 1. Returns loom run's --input flags."""
    if art:
        inputs = json.load(open(os.path.join(art, "manifest.json")))["inputs"]
    else:
        inputs = spec_inputs(row)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    rng = np.random.default_rng(1234)
    flags = []
    for inp in inputs:
        name, shape = inp["name"], tuple(inp["shape"])
        dtype = {"f32": np.float32, "i32": np.int32, "i64": np.int64, "i1": np.bool_}[inp["dtype"]]
        if name == "optim.lr":
            a = np.array(1e-4, np.float32)
        elif name == "optim.step":
            a = np.array(1.0, np.float32)
        elif name == "decode.pos":  # the new token's position
            a = np.array(row.ctx - 1, np.int64)
        elif name == "prefill.pos":
            a = np.array(0, np.int64)
        elif name in ("tokens", "targets", "decode.tokens", "prefill.tokens"):
            a = rng.integers(0, row.vocab, shape)
        elif name == "mlm_targets":
            a = np.where(rng.random(shape) < 0.15, rng.integers(0, row.vocab, shape), -100)
        elif name == "attention_mask":
            a = np.ones(shape, bool)
            a[..., -1] = False
        elif name == "labels":
            a = rng.integers(0, 1000, shape)
        elif dtype == np.float32:
            a = rng.standard_normal(shape)
        elif dtype == np.bool_:
            a = np.ones(shape, bool)
        else:  # token types, NSP labels, ...
            a = rng.integers(0, 2, shape)
        path = os.path.join(directory, name + ".npy")
        np.save(path, np.asarray(a).astype(dtype))
        flags += ["--input", "%s=%s" % (name, path)]
    return flags


class OtherLoad:
    """CPU time used by processes other than this benchmark and its children
    over an interval: the machine's busy time (/proc/stat) minus ours
    (getrusage of this process and of its waited-for children). Reported
    as the average number of CPUs the others kept busy."""

    @staticmethod
    def _sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal (guest time is in user)
        busy = sum(fields[i] for i in (0, 1, 2, 5, 6, 7) if i < len(fields))
        hz = os.sysconf("SC_CLK_TCK")
        ours = sum(getattr(resource.getrusage(who), f) for who in
                   (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for f in ("ru_utime", "ru_stime"))
        return time.time(), busy / hz, ours

    def __init__(self):
        self.start = self._sample()

    def cpus(self):
        t1, busy1, ours1 = self._sample()
        t0, busy0, ours0 = self.start
        return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / max(t1 - t0, 1e-9))


# ------------------------------------------------------------ the bench --
@dataclass
class Result:
    impl: str
    per_round: list = field(default_factory=list)   # median seconds of each round
    reps: list = field(default_factory=list)
    maxrss_kb: int = 0
    compile_s: float = None
    compile_note: str = ""
    error: str = ""
    info: dict = field(default_factory=dict)

    @property
    def median(self):
        return statistics.median(self.per_round) if self.per_round else None


def measure_peak(threads_list):
    src = os.path.join(BENCH, "peak.c")
    exe = os.path.join(WORK, "peak")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run(["cc", "-O2", "-mavx512f", "-mfma", "-march=native", "-pthread",
                        src, "-o", exe], check=True)
    peak = {}
    for n in threads_list:
        out = subprocess.run([exe, str(n), "0.3", "5"], check=True, capture_output=True,
                             text=True).stdout
        peak[n] = float(re.search(r"gflops=([0-9.]+)", out).group(1))
        log("peak fp32 FMA: %d thread(s) %.1f GFLOP/s" % (n, peak[n]))
    return peak


def bench_row(row, args, loom, env, torch_env):
    """Measures one row; returns ({impl: Result}, CPUs kept busy by other
    processes meanwhile)."""
    log("=== %s: %s" % (row.name, row.title))
    other = OtherLoad()
    results = {}
    rowdir = os.path.join(WORK, "rows", row.name)
    os.makedirs(rowdir, exist_ok=True)
    if row.kind == "gemm":
        write_gemm_spec(row)

    impls = ["loom"] + (["loom-nocache"] if row.nocache else []) + [
        p for p in row.peers if p not in args.skip]
    for own in ("loom", "loom-nocache"):
        if own in args.skip and own in impls:
            impls.remove(own)
    if args.quick and row.heavy_compile and "torch-compile" in impls:
        impls.remove("torch-compile")
    for impl in impls:
        results[impl] = Result(impl)

    # loom: compile (or reuse), inputs, a first run that estimates the time.
    art = input_flags = None
    inputs_dir = os.path.join(rowdir, "inputs")
    try:
        art, cinfo = loom.artifact(row)
        input_flags = make_inputs(row, art, inputs_dir)
    except Exception as e:
        if "loom" in results:
            results["loom"].error = str(e)
        log("loom: %s" % e)
        art = None
        make_inputs(row, None, inputs_dir)  # the peers still run
    # loom's own variants: (row, artifact, --input flags) each; without the
    # cache, a decode row runs the forward over its ctx tokens.
    variants = {}
    if "loom" in results and not results["loom"].error:
        variants["loom"] = (row, art, input_flags, cinfo)
    if "loom-nocache" in results:
        plain = Row(row.name + "_nocache", row.title + ", no cache", "gpt_fwd", row.spec,
                    {"B": 1, "T": row.ctx}, row.flops, [], model=row.model, vocab=row.vocab)
        try:
            art2, cinfo2 = loom.artifact(plain)
            flags2 = make_inputs(plain, art2, inputs_dir + "-nocache")
            variants["loom-nocache"] = (plain, art2, flags2, cinfo2)
        except Exception as e:
            results["loom-nocache"].error = str(e)
            log("loom-nocache: %s" % e)
    loom_est = {}
    for impl, (vrow, vart, vflags, vinfo) in variants.items():
        r = results[impl]
        r.compile_s = vinfo["compile_s"]
        r.compile_note = "cached, compiled %s" % vinfo["date"] if vinfo["cached"] else "compiled now"
        try:
            med, _, rss = loom.run(vart, vrow, vflags, 1, env)
            loom_est[impl] = med
            r.maxrss_kb = rss
        except Exception as e:
            r.error = str(e)
            log("%s: %s" % (impl, e))

    # Peers: one worker each, set up one after another.
    workers = {}
    for impl in impls:
        if impl in ("loom", "loom-nocache"):
            continue
        task = {"row": row.name, "ctx": row.ctx, "kind": row.kind, "impl": impl, "model": row.model,
                "inputs": inputs_dir, "threads": args.threads, "workdir": rowdir,
                "target_s": args.target_s, "min_reps": args.min_reps, "max_reps": 2000,
                "compile_mode": args.compile_mode}
        if row.gemm:
            task["M"], task["K"], task["N"] = row.gemm
        if impl == "onnxruntime":
            log("exporting ONNX")
            rc, out, err, _ = run_measured(
                [sys.executable, os.path.join(PEERS, "worker.py"),
                 json.dumps(dict(task, impl="onnx-export"))], torch_env, timeout=3600)
            msgs = [json.loads(l[3:]) for l in out.splitlines() if l.startswith("@@ ")]
            if rc != 0 or not msgs or "export_s" not in msgs[-1]:
                results[impl].error = "ONNX export failed: %s" % (
                    msgs[-1].get("error") if msgs else err.strip()[-400:])
                log(results[impl].error)
                continue
            task["export_s"] = msgs[-1]["export_s"]
        log("starting %s" % impl)
        w = Worker(task, torch_env if impl.startswith("torch") else env,
                   os.path.join(rowdir, "%s.log" % impl))
        msg = w.receive(timeout=3600)
        if "error" in msg:
            results[impl].error = msg["error"]
            log("%s failed: %s (log: %s)" % (impl, msg["error"], os.path.join(rowdir, impl + ".log")))
            if "trace" in msg:
                w.logfile.write(msg["trace"])
            w.close()
            continue
        results[impl].compile_s = msg.get("compile_s")
        results[impl].info = msg.get("info", {})
        if msg.get("compile_s") is not None:
            log("%s: compile %.1f s" % (impl, msg["compile_s"]))
        workers[impl] = w

    # Round-robin: every round runs each impl once; the order rotates.
    live = [i for i in impls if not results[i].error]
    for rnd in range(args.rounds):
        order = live[rnd % len(live):] + live[:rnd % len(live)] if live else []
        for impl in order:
            r = results[impl]
            if r.error:
                continue
            time.sleep(0.2)  # let the previous process's spinning threads settle
            if impl in variants:
                vrow, vart, vflags, _ = variants[impl]
                reps = max(args.min_reps, min(2000, math.ceil(
                    args.target_s / max(loom_est[impl], 1e-6))))
                try:
                    med, _, rss = loom.run(vart, vrow, vflags, reps, env)
                except Exception as e:
                    r.error = str(e)
                    continue
                loom_est[impl] = med
                r.maxrss_kb = max(r.maxrss_kb, rss)
            else:
                w = workers[impl]
                w.send("run")
                msg = w.receive(timeout=3600)
                if "error" in msg:
                    r.error = msg["error"]
                    continue
                times = msg["times"]
                med, reps = statistics.median(times), len(times)
            r.per_round.append(med)
            r.reps.append(reps)
        log("round %d/%d: %s" % (rnd + 1, args.rounds, ", ".join(
            "%s %s" % (i, fmt_time(results[i].per_round[-1]) if results[i].per_round
                       and not results[i].error else "-") for i in order)))
    for impl, w in workers.items():
        w.close()
        results[impl].maxrss_kb = w.maxrss_kb
    onnx = os.path.join(rowdir, "%s.onnx" % row.name)
    if os.path.exists(onnx):
        os.remove(onnx)  # up to 0.5 GB each; re-exported every run anyway
    busy = other.cpus()
    log("other processes kept %.2f of %d CPUs busy during this row" % (busy, os.cpu_count()))
    return results, busy


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="loom build directory with bin/loomc and bin/loom (default build/)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for loom and every peer (default: all CPUs, %(default)s)")
    ap.add_argument("--rounds", type=int, help="round-robin rounds (default 5; --quick 2)")
    ap.add_argument("--target-s", type=float,
                    help="seconds of timed calls per implementation and round (default 2; --quick 0.5)")
    ap.add_argument("--min-reps", type=int, default=3, help="timed calls per round, at least (default 3)")
    ap.add_argument("--quick", action="store_true",
                    help="2 rounds, shorter rounds, a few rows (tiny GPT, GPT-2 T64, two GEMMs), "
                         "no torch.compile of the GPT-2 training step")
    ap.add_argument("--only", help="comma-separated row names or globs (see --list)")
    ap.add_argument("--skip", default="",
                    help="comma-separated implementations to leave out: loom, torch-eager, "
                         "torch-compile, onnxruntime, numpy, torch, torch-onednn")
    ap.add_argument("--compile-mode", default="default",
                    help="torch.compile mode: default (the default), max-autotune, ... "
                         "(max-autotune tries inductor's own C++ GEMM templates; compiles take longer)")
    ap.add_argument("--list", action="store_true", help="list the rows and exit")
    ap.add_argument("--autotune", action="store_true",
                    help="append the autotuner's MLIR-vs-Halide table for GPT-2 T1024 "
                         "(always in a full run)")
    ap.add_argument("--out", help="the report (default bench/RESULTS.md for a full run, "
                                  "bench/work/RESULTS-partial.md with --quick/--only/--skip)")
    ap.add_argument("--reuse-torch-cache", action="store_true",
                    help="keep torch.compile's cache in bench/work/inductor-cache across runs "
                         "(faster development; the compile times reported are then warm)")
    args = ap.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.target_s = args.target_s or (0.5 if args.quick else 2.0)
    args.skip = [s for s in args.skip.split(",") if s]
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    rows = all_rows()
    if args.list:
        for r in rows:
            print("%-24s %s%s  [loom, %s]" % (r.name, r.title, "  (quick)" if r.quick else "",
                                              ", ".join(r.peers)))
        return 0
    if args.only:
        pats = [p for p in args.only.split(",") if p]
        rows = [r for r in rows if any(fnmatch.fnmatch(r.name, p) for p in pats)]
        if not rows:
            raise SystemExit("bench: no row matches --only %s (see --list)" % args.only)
    elif args.quick:
        rows = [r for r in rows if r.quick]
    full = not (args.quick or args.only or args.skip)
    out = args.out or (os.path.join(BENCH, "RESULTS.md") if full
                       else os.path.join(WORK, "RESULTS-partial.md"))
    os.makedirs(WORK, exist_ok=True)
    t_start = datetime.datetime.now()
    load_start = os.getloadavg()

    loom = Loom(args.build)
    env = child_env(args.threads)
    if args.reuse_torch_cache:
        inductor_dir = os.path.join(WORK, "inductor-cache")
        os.makedirs(inductor_dir, exist_ok=True)
    else:
        inductor_dir = tempfile.mkdtemp(prefix="inductor-", dir=WORK)
    torch_env = child_env(args.threads, {"TORCHINDUCTOR_CACHE_DIR": inductor_dir})

    # The peak, at the start and again at the end (the best of both counts:
    # other load on a shared machine only ever lowers it).
    peak = measure_peak(sorted({1, args.threads}))
    all_results, other_load = {}, {}
    run_load = OtherLoad()
    try:
        for row in rows:
            all_results[row.name], other_load[row.name] = bench_row(row, args, loom, env, torch_env)
    finally:
        if not args.reuse_torch_cache:
            shutil.rmtree(inductor_dir, ignore_errors=True)
    for n, g in measure_peak(sorted(peak)).items():
        peak[n] = max(peak[n], g)
    rows = [r for r in rows if r.name in all_results]

    meta = gather_meta(args, peak, loom, t_start)
    load_end = os.getloadavg()
    busy = run_load.cpus()
    meta["load"] = ("other processes kept %.2f of the %d CPUs busy on average during the run "
                    "(per row in the summary); 1-min load average %.2f at the start, %.2f at the end"
                    % (busy, os.cpu_count(), load_start[0], load_end[0]))
    meta["other_load"] = other_load
    meta["full"] = full
    meta["command"] = " ".join(["bench/run"] + argv)
    blas = "?"
    for res in all_results.values():
        if "numpy" in res and isinstance(res["numpy"].info.get("blas"), list):
            blas = "; ".join("%s %s, kernel %s, %s threads" % (
                b["internal_api"], b["version"], b["architecture"], b["num_threads"])
                for b in res["numpy"].info["blas"])
            break
    meta["numpy BLAS"] = blas
    meta["notes"] = []
    n = args.threads
    if n > 1 and peak[n] < 0.9 * n * peak[1]:
        meta["notes"].append(
            "the measured %d-thread peak (%.0f GFLOP/s) is below %d × the 1-thread peak "
            "(%.0f GFLOP/s): other load was sharing the cores while it was measured, so %% of "
            "peak uses the latter" % (n, peak[n], n, n * peak[1]))
    if busy > 0.1 or load_start[0] > 0.5 * os.cpu_count():
        meta["notes"].append(
            "**the machine was shared**: other processes kept %.2f of the %d CPUs busy on average "
            "during the run, so the timings are noisy and multi-threaded ones can be far slower "
            "than on a quiet machine (a thread that loses its core stalls the others at every "
            "barrier)" % (busy, os.cpu_count()))
    text = report(rows, all_results, peak, args, meta)
    if full or args.autotune:
        text += "\n" + "\n".join(autotune_table(loom)) + "\n"
    with open(out, "w") as f:
        f.write(text)
    raw = {"meta": meta, "peak": peak, "args": vars(args),
           "rows": {name: {impl: vars(r) for impl, r in res.items()} for name, res in all_results.items()}}
    raw_path = os.path.join(WORK, os.path.splitext(os.path.basename(out))[0] + ".json")
    with open(raw_path, "w") as f:
        json.dump(raw, f, indent=1, default=str)
    print()
    print(text)
    log("wrote %s and the raw numbers %s" % (out, raw_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
