"""The report half of bench/bench.py: the tables of a run, the way it was
measured, and the machine and build it ran on, as bench/RESULTS.md has them.
"""
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reference_peak(peak, n):
    """The n-thread peak that % of peak refers to: the measured one, or n
    times the 1-thread peak where that is larger (on a shared machine the
    n-thread measurement loses cores to other processes; FMA throughput
    scales with the cores)."""
    return max(peak[n], n * peak[1])


# ---------------------------------------------------------------- report --
def fmt_time(s):
    if s is None:
        return "-"
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.1f ms" % (s * 1e3) if s >= 0.1 else "%.2f ms" % (s * 1e3)
    return "%.0f µs" % (s * 1e6)


def fmt_range(r):
    if not r.per_round:
        return "-"
    return "%s – %s" % (fmt_time(min(r.per_round)), fmt_time(max(r.per_round)))


def best_peer(results):
    peers = [r for i, r in results.items()
             if not i.startswith("loom") and r.median is not None and not r.error]
    return min(peers, key=lambda r: r.median) if peers else None


def report(rows, all_results, peak, args, meta):
    L = []
    L.append("# loom benchmark results\n")
    L.append("%s benchmark run (`%s`).\n" % ("Full" if meta["full"] else "Partial", meta["command"]))
    L.append("| | |\n| --- | --- |")
    for k in ("date", "cpu", "threads", "peak", "load", "git", "loom build", "peers", "numpy BLAS"):
        L.append("| %s | %s |" % (k, meta[k]))
    L.append("")
    L.append("## Summary\n")
    L.append("Median time per call (forward or training step) over %d rounds, %d thread(s); "
             "ratio < 1 means loom is faster than the fastest peer. Other load: CPUs kept busy "
             "by processes outside the benchmark while the row ran.\n" % (args.rounds, args.threads))
    L.append("| row | loom | best peer | loom / best peer | loom GFLOP/s | loom % of peak | other load |")
    L.append("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    pk = reference_peak(peak, args.threads)
    for row in rows:
        res = all_results[row.name]
        lr = res.get("loom")
        bp = best_peer(res)
        lt = lr.median if lr and not lr.error else None
        L.append("| %s | %s | %s | %s | %s | %s | %.2f CPUs |" % (
            row.title, fmt_time(lt) if lt else ("failed" if lr else "-"),
            "%s %s" % (bp.impl, fmt_time(bp.median)) if bp else "-",
            "%.2f" % (lt / bp.median) if lt and bp else "-",
            "%.1f" % (row.flops / lt / 1e9) if lt else "-",
            "%.1f%%" % (100 * row.flops / lt / 1e9 / pk) if lt else "-",
            meta["other_load"].get(row.name, 0.0)))
    L.append("")
    L.append("## Details\n")
    L.append("GFLOP/s = the row's analytic FLOPs / median time; %% of peak against the "
             "%d-thread peak (%.0f GFLOP/s; the larger of the measured %d-thread peak and %d × "
             "the measured 1-thread peak). Range = fastest and slowest round's median. "
             "Peak RSS of the process (the peers' includes the Python interpreter and its "
             "libraries: about 0.3–0.5 GiB for torch). Compile = loomc wall time, "
             "torch.compile's first call, or ONNX export + onnxruntime session creation.\n"
             % (args.threads, pk, args.threads, args.threads))
    L.append("| row | GFLOP | impl | median | range | reps × rounds | loom / best peer | GFLOP/s | % peak | peak RSS | compile |")
    L.append("| --- | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |")
    notes = []
    for row in rows:
        res = all_results[row.name]
        bp = best_peer(res)
        for impl, r in res.items():
            if r.error:
                L.append("| %s | %.2f | %s | failed | | | | | | | |" % (row.title, row.flops / 1e9, impl))
                notes.append("%s, %s: %s" % (row.name, impl, r.error.replace("\n", " ")[:400]))
                continue
            m = r.median
            ratio = ""
            if impl.startswith("loom") and bp and m:
                ratio = "%.2f" % (m / bp.median)
            elif bp is r:
                ratio = "(best peer)"
            comp = "-"
            if r.compile_s is not None:
                comp = "%.1f s" % r.compile_s
                if impl.startswith("loom"):
                    comp += " (%s)" % r.compile_note
            if r.reps:
                lo, hi = min(r.reps), max(r.reps)
                reps = "%s × %d" % (lo if lo == hi else "%d–%d" % (lo, hi), len(r.per_round))
            else:
                reps = "-"
            L.append("| %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                row.title, row.flops / 1e9, impl, fmt_time(m), fmt_range(r), reps, ratio,
                "%.1f" % (row.flops / m / 1e9) if m else "-",
                "%.1f%%" % (100 * row.flops / m / 1e9 / pk) if m else "-",
                "%.0f MiB" % (r.maxrss_kb / 1024) if r.maxrss_kb else "-", comp))
    L.append("")
    L.append("## How measured\n")
    L.append(HOW_MEASURED % {"threads": args.threads, "rounds": args.rounds,
                             "target": args.target_s, "min_reps": args.min_reps,
                             "compile_mode": args.compile_mode})
    if notes or meta.get("notes"):
        L.append("\n## Notes and failures\n")
        for n in meta.get("notes", []) + notes:
            L.append("- " + n)
    return "\n".join(L) + "\n"


HOW_MEASURED = """\
`bench/run` measures everything in one run on this machine. Peak: `bench/peak.c`
(16 independent chains of `_mm512_fmadd_ps` per thread, best of 5 trials of
0.3 s, at the start and at the end of the run, the best kept) on 1 thread and
on the benchmark's thread count; %% of peak refers to the larger of that
thread count's peak and as many times the 1-thread peak. Every implementation
runs with %(threads)d thread(s): `LOOM_NUM_THREADS` for loom,
`torch.set_num_threads` (and `OMP_NUM_THREADS`) for PyTorch,
`intra_op_num_threads` (inter-op 1, sequential) for onnxruntime,
`OPENBLAS_NUM_THREADS` for numpy (with this machine's `OPENBLAS_CORETYPE` /
`OPENBLAS_L2_SIZE` overrides unset, so numpy's OpenBLAS picks its own kernel).
Per row, loom and every peer are measured round-robin for %(rounds)d rounds
(the order rotates each round); in each round an implementation makes one
untimed call and then N timed calls (N chosen so that a round takes about
%(target).1f s, at least %(min_reps)d), and the round's value is their median.
The table gives the median over rounds and the range of the round medians.
loom: a fresh `loom run ARTIFACT --seed 0 --input ... --function F --repeat N`
per round (its printed median; random weights, `--function train_step` for
the training rows, which applies the AdamW update every call). Peers: one
long-lived process each (`bench/peers/worker.py`), hand-written PyTorch models
(`bench/peers/models.py`, parameter counts equal to the specs'); forward under
`torch.inference_mode` with `scaled_dot_product_attention`; torch.compile in
`%(compile_mode)s` mode with inductor freezing for inference (cold cache each run unless
`--reuse-torch-cache`); onnxruntime on a `torch.onnx.export` (TorchScript
exporter, opset 17) of the same model with all graph optimizations; the
training step is forward + cross entropy, backward, `clip_grad_norm_(1.0)`
and fused AdamW (weight decay 0.01 on matrices only, as loom's). GEMMs: a loom
spec with one `matmul(x: f32[M,K], w: f32[K,N])` vs `numpy.matmul(out=)`,
`torch.mm(out=)` (MKL in PyPI's torch) and torch's oneDNN linear
(`torch.utils.mkldnn`, weight prepacked; dense input converted and the
result converted back to dense in every call). All read the same random inputs (.npy). FLOPs are counted
analytically: 2 per multiply-add of every matmul plus attention's QK^T and AV
(in full, also where causal); training = 3 × forward. Peak RSS is
`ru_maxrss` of the process from `wait4` (loom: the largest over its runs;
peers: over the worker's life, setup and compilation included). Other load
is the machine's busy CPU time (/proc/stat) minus the benchmark's own
(getrusage of it and its children) over the row, per second of wall time."""


def gather_meta(args, peak, loom, t_start):
    cpu = "unknown"
    fam = model = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and cpu == "unknown":
            cpu = line.split(":", 1)[1].strip()
        elif line.startswith("cpu family") and not fam:
            fam = line.split(":", 1)[1].strip()
        elif line.startswith("model\t") and not model:
            model = line.split(":", 1)[1].strip()
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "no AVX2")
    cpu = "%s (family %s, model %s), %d logical CPUs, %s" % (cpu, fam, model, os.cpu_count(), isa)

    def git(*a):
        try:
            return subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True,
                                  text=True, check=True).stdout.strip()
        except Exception:
            return "?"

    dirty = git("status", "--porcelain", "--untracked-files=no")
    commit = git("rev-parse", "HEAD") + (" (tracked files modified)" if dirty else "")
    build_type = "?"
    cache = os.path.join(loom.build, "CMakeCache.txt")
    if os.path.exists(cache):
        m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", open(cache).read(), re.M)
        build_type = m.group(1) if m else "?"
    versions = ["python %s" % platform.python_version(), "numpy %s" % np.__version__]
    for mod in ("torch", "onnxruntime", "onnx"):
        try:
            out = subprocess.run([sys.executable, "-c", "import %s; print(%s.__version__)" % (mod, mod)],
                                 capture_output=True, text=True, timeout=120).stdout.strip()
            if mod == "torch" and "+cu" in out:
                out += " (PyPI's CUDA build, run on the CPU)"
            versions.append("%s %s" % (mod, out or "?"))
        except Exception:
            versions.append("%s ?" % mod)
    return {
        "date": t_start.strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu,
        "threads": str(args.threads),
        "peak": ", ".join("%d thread(s): %.0f GFLOP/s" % (n, g) for n, g in sorted(peak.items())),
        "git": commit,
        "loom build": "%s (%s), loomc built %s" % (
            build_type, os.path.relpath(loom.build, ROOT) if loom.build.startswith(ROOT) else loom.build,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(loom.loomc_stat.st_mtime))),
        "peers": ", ".join(versions),
    }
