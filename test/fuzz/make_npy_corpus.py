#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_npy (test/fuzz/corpus/npy/).

Usage: make_npy_corpus.py [OUT_DIR]

The valid seeds are byte for byte what numpy's np.save writes (format 1.0,
header padded with spaces so the data starts 64-byte aligned, ended by a
newline), plus the variants the reader accepts (version 2.0, double quotes,
Python 2 longs, no trailing comma); the bad_ seeds each break one rule, so
the fuzzer starts next to every error path. Pure Python, no numpy.
"""
import os
import struct
import sys


def npy(header, data, version=1, pad=True):
    """MAGIC, version, header length, HEADER (padded like numpy), DATA."""
    len_bytes = 2 if version == 1 else 4
    if pad:
        total = 6 + 2 + len_bytes + len(header) + 1
        header += " " * ((64 - total % 64) % 64) + "\n"
    fmt = "<H" if version == 1 else "<I"
    return (b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(header)) +
            header.encode("latin1") + data)


def dict_(descr, shape, fortran="False", quote="'"):
    q = quote
    return "{%sdescr%s: %s%s%s, %sfortran_order%s: %s, %sshape%s: %s, }" % (
        q, q, q, descr, q, q, q, fortran, q, q, shape)


def seeds():
    f32 = struct.pack("<6f", 0.0, 1.0, -2.5, 3.25, float("inf"), -0.0)
    yield "01_f32_2x3.npy", npy(dict_("<f4", "(2, 3)"), f32)
    yield "02_i32_vector.npy", npy(dict_("<i4", "(4,)"), struct.pack("<4i", 72, 105, -1, 2**31 - 1))
    yield "03_i64_scalar.npy", npy(dict_("<i8", "()"), struct.pack("<q", -2**63))
    yield "04_f16_2x2.npy", npy(dict_("<f2", "(2, 2)"), struct.pack("<4H", 0x3c00, 0x7c00, 0x0001, 0xfbff))
    yield "05_bool_3.npy", npy(dict_("|b1", "(3,)"), b"\x01\x00\x01")
    yield "06_empty_0x7.npy", npy(dict_("<f4", "(0, 7)"), b"")
    yield "07_version2.npy", npy(dict_("<i8", "(1,)"), struct.pack("<q", 7), version=2)
    yield "08_double_quotes_longs.npy", npy(
        '{"descr": "<i4", "fortran_order": False, "shape": (2L, 1L)}', struct.pack("<2i", 1, 2))
    yield "09_unpadded.npy", npy(dict_("<i4", "(1,)"), struct.pack("<i", 5), pad=False)
    yield "10_bad_fortran.npy", npy(dict_("<f4", "(2,)", fortran="True"), struct.pack("<2f", 1, 2))
    yield "11_bad_big_endian.npy", npy(dict_(">f4", "(1,)"), struct.pack(">f", 1))
    yield "12_bad_truncated.npy", npy(dict_("<f4", "(2, 3)"), f32[:-3])
    yield "13_bad_header_length.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'"
    yield "14_bad_overflow.npy", npy(dict_("<f4", "(4294967296, 4294967296)"), b"")
    version4 = bytearray(npy(dict_("<f4", "(1,)"), struct.pack("<f", 1)))
    version4[6] = 4
    yield "15_bad_version.npy", bytes(version4)


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "npy")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
