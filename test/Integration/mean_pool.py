#!/usr/bin/env python3
"""Sentence embeddings from a BERT's last hidden state, as sentence-transformers'
all-MiniLM-L6-v2 computes them (Pooling: mean over the attention mask's
tokens, then Normalize: unit L2 norm), compared with a reference. Pure Python.

Usage: mean_pool.py HIDDEN.npy MASK.npy REFERENCE.npy ATOL
  HIDDEN [B, T, D] f32, MASK [B, T] bool, REFERENCE [B, D] f32. Passes when
  every element is within ATOL of the reference (embeddings have unit norm).
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_allclose import read  # noqa: E402


def main(argv):
    _, (b, t, d), hidden = read(argv[1])
    _, mshape, mask = read(argv[2])
    _, rshape, ref = read(argv[3])
    atol = float(argv[4])
    if mshape != (b, t) or rshape != (b, d):
        print("shapes: hidden %s, mask %s, reference %s" % ((b, t, d), mshape, rshape))
        return 1
    worst = 0.0
    for i in range(b):
        n = sum(1 for j in range(t) if mask[i * t + j])
        mean = [sum(hidden[(i * t + j) * d + k] for j in range(t) if mask[i * t + j]) / n
                for k in range(d)]
        norm = math.sqrt(sum(v * v for v in mean))
        for k in range(d):
            worst = max(worst, abs(mean[k] / norm - ref[i * d + k]))
    print("%d embeddings of %d, worst |loom - reference| %.3g (atol %g)" % (b, d, worst, atol))
    return 0 if worst <= atol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
