#!/usr/bin/env python3
"""Compares two .npy files: same dtype and shape, and every element within
|a - b| <= atol + rtol * |b|. Prints the worst relative error. Pure Python.

Usage: npy_allclose.py A.npy B.npy RTOL ATOL
"""
import ast
import struct
import sys

FORMATS = {"<f4": "f", "<i4": "i", "<i8": "q", "|b1": "?", "<f2": "e"}


def read(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit("%s: not an .npy file" % path)
    major = data[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", data[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack("<I", data[8:12])
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    fmt = FORMATS[header["descr"]]
    n = 1
    for d in header["shape"]:
        n *= d
    body = data[start + hlen:]
    values = struct.unpack("<%d%s" % (n, fmt), body[:n * struct.calcsize(fmt)])
    return header["descr"], tuple(header["shape"]), values


def main(argv):
    a_path, b_path, rtol, atol = argv[1], argv[2], float(argv[3]), float(argv[4])
    da, sa, a = read(a_path)
    db, sb, b = read(b_path)
    if (da, sa) != (db, sb):
        print("mismatch: %s %s vs %s %s" % (da, sa, db, sb))
        return 1
    worst, bad = 0.0, 0
    for x, y in zip(a, b):
        err = abs(x - y)
        worst = max(worst, err / max(abs(y), 1e-30) if err > atol else 0.0)
        if err > atol + rtol * abs(y):
            bad += 1
    print("%d elements, %d outside tolerance, worst relative error %.3g" % (len(a), bad, worst))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
