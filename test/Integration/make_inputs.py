#!/usr/bin/env python3
"""Writes seeded random .npy inputs for every input of an artifact.

Usage: make_inputs.py ARTIFACT_DIR OUT_DIR

Integer inputs get ids in [0, 2) (valid for every tiny model: token types,
NSP labels and class labels included), i1 inputs are true except the last
position, floats are uniform in [-1, 1). Prints `--input NAME=PATH` flags for
`loom run`. Pure Python (no numpy).
"""
import json
import os
import random
import struct
import sys

DESCR = {"f32": ("<f4", "f"), "i32": ("<i4", "i"), "i64": ("<i8", "q"),
         "i1": ("|b1", "?")}


def write_npy(path, descr, fmt, shape, values):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main(argv):
    artifact, out = argv[1], argv[2]
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(artifact, "manifest.json")))
    rng = random.Random(1234)
    flags = []
    for inp in manifest["inputs"]:
        shape, dtype = inp["shape"], inp["dtype"]
        n = 1
        for d in shape:
            n *= d
        if dtype in ("i32", "i64"):
            values = [rng.randrange(2) for _ in range(n)]
        elif dtype == "i1":
            last = shape[-1] if shape else 1
            values = [(i % last) != last - 1 for i in range(n)]
        else:
            values = [rng.uniform(-1, 1) for _ in range(n)]
        path = os.path.join(out, inp["name"] + ".npy")
        descr, fmt = DESCR[dtype]
        write_npy(path, descr, fmt, shape, values)
        flags.append("--input %s=%s" % (inp["name"], path))
    print(" ".join(flags))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
