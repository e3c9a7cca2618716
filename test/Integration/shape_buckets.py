#!/usr/bin/env python3
"""Helpers for shape-buckets.test. Pure Python (no numpy).

  shape_buckets.py prefix-close PADDED.npy EXACT.npy RTOL ATOL
      EXACT's elements against the leading block of PADDED (same dtype and
      rank, every dim of PADDED >= EXACT's): |p - e| <= atol + rtol * |e|.
      Prints the count outside tolerance and the worst relative error.
  shape_buckets.py write PATH DTYPE D0,D1,... VALUE
      a .npy of that shape filled with VALUE (i32, i64, f32, i1).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_inputs  # noqa: E402
import npy_allclose  # noqa: E402


def prefix_close(argv):
    padded_path, exact_path, rtol, atol = argv[0], argv[1], float(argv[2]), float(argv[3])
    dp, sp, p = npy_allclose.read(padded_path)
    de, se, e = npy_allclose.read(exact_path)
    if dp != de or len(sp) != len(se) or any(a < b for a, b in zip(sp, se)):
        print("mismatch: %s %s cannot hold %s %s" % (dp, sp, de, se))
        return 1
    # Row-major strides of PADDED.
    strides = [1] * len(sp)
    for d in range(len(sp) - 2, -1, -1):
        strides[d] = strides[d + 1] * sp[d + 1]
    worst, bad = 0.0, 0
    for k, y in enumerate(e):
        rest, offset = k, 0
        for d in range(len(se) - 1, -1, -1):
            offset += (rest % se[d]) * strides[d]
            rest //= se[d]
        x = p[offset]
        err = abs(x - y)
        worst = max(worst, err / max(abs(y), 1e-30) if err > atol else 0.0)
        if err > atol + rtol * abs(y):
            bad += 1
    print("%d elements of %s compared, %d outside tolerance, worst relative error %.3g"
          % (len(e), list(se), bad, worst))
    return 1 if bad else 0


def write(argv):
    path, dtype, shape_text, value = argv
    shape = [int(d) for d in shape_text.split(",")] if shape_text else []
    n = 1
    for d in shape:
        n *= d
    cast = {"i32": int, "i64": int, "f32": float, "i1": lambda v: v == "1"}[dtype]
    descr, fmt = make_inputs.DESCR[dtype]
    make_inputs.write_npy(path, descr, fmt, shape, [cast(value)] * n)
    return 0


def main(argv):
    commands = {"prefix-close": prefix_close, "write": write}
    if len(argv) < 2 or argv[1] not in commands:
        sys.exit(__doc__)
    return commands[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
