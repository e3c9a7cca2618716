#!/usr/bin/env python3
"""Writes a byte-level token tensor as .npy (int32, shape [batch, length]).

Usage: bytes_to_npy.py OUT.npy LENGTH TEXT [TEXT ...]

Each TEXT becomes one row: its UTF-8 bytes, cut or padded with spaces to
LENGTH. Pure Python (no numpy), so the demo needs nothing beyond python3.
"""
import struct
import sys


def write_npy(path, rows, length):
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (%d, %d), }" % (
        len(rows), length)
    # Magic + version 1.0; the header is padded so the data is 64-byte aligned.
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        for row in rows:
            f.write(struct.pack("<%di" % length, *row))


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    out, length = argv[1], int(argv[2])
    rows = []
    for text in argv[3:]:
        data = list(text.encode("utf-8"))[:length]
        rows.append(data + [ord(" ")] * (length - len(data)))
    write_npy(out, rows, length)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
