#!/usr/bin/env python3
"""Checks one plain-SGD step: NEW == W - LR * GRAD elementwise, W read from a
safetensors file, the others from .npy files (f32). Prints the largest
difference and exits 1 when it exceeds TOL or when NEW equals W (the step
would have changed nothing). Pure Python.

Usage: check_sgd_step.py WEIGHTS.safetensors NAME GRAD.npy NEW.npy LR.npy TOL
"""
import ast
import json
import struct
import sys


def read_npy(path):
    data = open(path, "rb").read()
    (hlen,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    assert header["descr"] == "<f4", path
    n = 1
    for d in header["shape"]:
        n *= d
    return list(struct.unpack("<%df" % n, data[10 + hlen:10 + hlen + 4 * n]))


def read_safetensor(path, name):
    data = open(path, "rb").read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen])
    t = header[name]
    assert t["dtype"] == "F32", t
    begin, end = t["data_offsets"]
    base = 8 + hlen
    return list(struct.unpack("<%df" % ((end - begin) // 4),
                              data[base + begin:base + end]))


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


w = read_safetensor(sys.argv[1], sys.argv[2])
g, new, lr = read_npy(sys.argv[3]), read_npy(sys.argv[4]), read_npy(sys.argv[5])[0]
tol = float(sys.argv[6])
assert len(w) == len(g) == len(new), (len(w), len(g), len(new))
worst = max(abs(n - f32(a - f32(lr * b))) for a, b, n in zip(w, g, new))
moved = max(abs(n - a) for a, n in zip(w, new))
print("max |new - (w - lr g)| = %.3g, max |new - w| = %.3g" % (worst, moved))
sys.exit(0 if worst <= tol and moved > 0 else 1)
