"""Compiles one model with each kernel generator and compares with the oracle.

usage: compare_generators.py OUT MODEL OUTPUT RTOL ATOL [--dim N=V]...

For --kernels=mlir, halide and auto: `loomc MODEL --kernels=K -o OUT/K`,
`loom run` on seeded inputs (make_inputs.py) and weights (--seed 1), output
OUTPUT to OUT/K.npy; then `loomc --interpret` (the reference interpreter)
on the same weights and inputs. Each compiled output must agree with the
interpreter's to |a - b| <= ATOL + RTOL * |b|. Prints, per mode, the number
of kernel calls each generator makes (kernels.json) and the worst error;
exits 1 on a mismatch or when --kernels=halide called no Halide kernel.
"""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_f32(path):
    with open(path, "rb") as f:
        data = f.read()
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hlen].decode("latin1")
    if "'<f4'" not in header:
        raise SystemExit("compare_generators: %s is not f32" % path)
    body = data[10 + hlen:]
    return struct.unpack("<%df" % (len(body) // 4), body)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print("compare_generators: failed: " + " ".join(cmd) + "\n" + r.stdout)
        sys.exit(1)
    return r.stdout


def main():
    out, model, output, rtol, atol = sys.argv[1:6]
    rtol, atol = float(rtol), float(atol)
    dims = []
    for d in sys.argv[6:]:
        dims += ["--dim", d]
    os.makedirs(out, exist_ok=True)
    inputs = None
    results = {}
    for mode in ("mlir", "halide", "auto"):
        art = os.path.join(out, mode)
        run(["loomc", model] + dims + ["--kernels=" + mode, "-o", art])
        if inputs is None:
            inputs = run([sys.executable, os.path.join(HERE, "make_inputs.py"), art,
                          os.path.join(out, "in")]).split()
        npy = os.path.join(out, mode + ".npy")
        run(["loom", "run", art, "--seed", "1", "--allow-extra"] + inputs +
            ["--output", output + "=" + npy])
        with open(os.path.join(art, "kernels.json")) as f:
            sites = json.load(f)["sites"]
        gens = {}
        for s in sites:
            if s["function"] == "forward":
                gens[s["generator"]] = gens.get(s["generator"], 0) + 1
        results[mode] = (npy, gens)
    # The interpreter takes the forward's inputs only.
    with open(os.path.join(out, "mlir", "manifest.json")) as f:
        manifest = json.load(f)
    forward = manifest["functions"]["forward"]
    names = {s["name"] for s in forward["slots"] if s["kind"] == "input"}
    fwd_inputs = []
    for i in range(0, len(inputs), 2):
        if inputs[i + 1].split("=")[0] in names:
            fwd_inputs += inputs[i:i + 2]
    ref = os.path.join(out, "interp.npy")
    run(["loomc", model] + dims + ["--interpret", "--seed", "1"] + fwd_inputs +
        ["--output", output + "=" + ref])
    want = read_f32(ref)
    ok = True
    for mode, (npy, gens) in results.items():
        got = read_f32(npy)
        worst = 0.0
        bad = 0
        for a, b in zip(got, want):
            err = abs(a - b)
            if not err <= atol + rtol * abs(b):
                bad += 1
            worst = max(worst, err / (atol + rtol * abs(b)))
        calls = ", ".join("%s %d" % (g, n) for g, n in sorted(gens.items()))
        print("%s: forward kernel calls: %s; %d of %d outside tolerance "
              "(worst error %.2f of the tolerance)" % (mode, calls, bad, len(got), worst))
        if bad or len(got) != len(want):
            ok = False
        if mode == "halide" and not gens.get("halide"):
            print("halide: no Halide kernel was called")
            ok = False
    sys.exit(0 if ok else 1)


main()
