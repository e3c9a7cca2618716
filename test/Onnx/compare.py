#!/usr/bin/env python3
"""Compares two .npy files (same dtype and shape): passes when
max |a - b| <= TOL * max |b|, i.e. the error relative to the output's scale.
Prints the figure. Pure Python (reuses test/Integration's .npy reader).

Usage: compare.py A.npy B.npy TOL
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Integration"))
from npy_allclose import read  # noqa: E402


def main(argv):
    da, sa, a = read(argv[1])
    db, sb, b = read(argv[2])
    tol = float(argv[3])
    if (da, sa) != (db, sb):
        print("mismatch: %s %s vs %s %s" % (da, sa, db, sb))
        return 1
    scale = max(abs(y) for y in b) or 1.0
    err = max(abs(x - y) for x, y in zip(a, b)) / scale
    ok = err <= tol
    print("%s: %d elements, max |error| / max |expected| = %.2e (%s %.0e)" % (
        os.path.basename(argv[1]), len(a), err, "<=" if ok else "EXCEEDS", tol))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
