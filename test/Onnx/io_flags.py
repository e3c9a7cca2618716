#!/usr/bin/env python3
"""Prints `loom run` flags for an export_models.py fixture: --input NAME=FILE
for every DIR/in_NAME.npy and --output NAME=OUT/NAME.npy for every
DIR/out_NAME.npy. Usage: io_flags.py DIR OUT"""
import os
import sys

d, out = sys.argv[1], sys.argv[2]
flags = []
for f in sorted(os.listdir(d)):
    name, ext = os.path.splitext(f)
    if ext != ".npy":
        continue
    if name.startswith("in_"):
        flags.append("--input %s=%s" % (name[3:], os.path.join(d, f)))
    elif name.startswith("out_"):
        flags.append("--output %s=%s" % (name[4:], os.path.join(out, name[4:] + ".npy")))
print(" ".join(flags))
