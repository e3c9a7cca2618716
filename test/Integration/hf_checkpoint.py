#!/usr/bin/env python3
"""Makes "other framework" checkpoints out of loom's weights, and compares
safetensors files. Pure Python (no numpy): the tests run anywhere.

  hf_checkpoint.py export SRC OUT [--prefix P] [--rename LOOM=THEIRS]...
        [--f64 NAME]... [--f16 NAME]... [--bf16 NAME]... [--transpose NAME]...
        [--copy NAME=NEW]... [--buffer NAME:D0xD1...]... [--drop NAME]...
        [--scale NAME]... [--shards N]
    writes SRC's tensors renamed (NAME is always the loom name): --rename
    gives a tensor another name, --prefix is put before every name (after
    renaming), --f64/--f16/--bf16 store it in that dtype, --transpose stores
    a rank-2 tensor transposed, --copy adds a second tensor with NAME's
    values (NEW as given, without the prefix), --buffer adds an F32 tensor of ones no model has, --drop leaves a
    tensor out, --scale changes one element (not in --copy's copies: a tied
    pair that differs).
    --shards N splits the tensors over N files plus
    model.safetensors.index.json in the directory OUT.
  hf_checkpoint.py compare A B [--tol NAME=X]...
    every tensor of A and B (same names) equal as floats, or within X
    relative to the tensor's largest |value| for the names given.
"""
import json
import struct
import sys

SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "BOOL": 1, "I32": 4, "I64": 8}


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = (t["dtype"], t["shape"], body[b:e])
    return out


def to_floats(dtype, raw):
    if dtype == "F32":
        return list(struct.unpack("<%df" % (len(raw) // 4), raw))
    if dtype == "F64":
        return list(struct.unpack("<%dd" % (len(raw) // 8), raw))
    if dtype == "F16":
        return list(struct.unpack("<%de" % (len(raw) // 2), raw))
    if dtype == "BF16":
        half = struct.unpack("<%dH" % (len(raw) // 2), raw)
        return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in half]
    sys.exit("unsupported dtype " + dtype)


def from_floats(dtype, values):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F64":
        return struct.pack("<%dd" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "BF16":  # round to nearest even
        out = []
        for v in values:
            (u,) = struct.unpack("<I", struct.pack("<f", v))
            u += 0x7FFF + ((u >> 16) & 1)
            out.append((u >> 16) & 0xFFFF)
        return struct.pack("<%dH" % len(out), *out)
    sys.exit("unsupported dtype " + dtype)


def write(path, tensors):
    header, body = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)


def export(argv):
    src, out = argv[0], argv[1]
    opts = {"--rename": [], "--f64": [], "--f16": [], "--bf16": [],
            "--transpose": [], "--copy": [], "--buffer": [], "--drop": [],
            "--scale": []}
    prefix, shards = "", 0
    i = 2
    while i < len(argv):
        if argv[i] == "--prefix":
            prefix = argv[i + 1]
        elif argv[i] == "--shards":
            shards = int(argv[i + 1])
        else:
            opts[argv[i]].append(argv[i + 1])
        i += 2
    rename = dict(r.split("=", 1) for r in opts["--rename"])
    tensors = {}
    for name, (dtype, shape, raw) in read(src).items():
        if name in opts["--drop"]:
            continue
        values = to_floats(dtype, raw)
        original = list(values)
        if name in opts["--scale"]:
            values[0] = values[0] * 2 + 1
        if name in opts["--transpose"]:
            r, c = shape
            values = [values[k * c + j] for j in range(c) for k in range(r)]
            shape = [c, r]
        for d in ("F64", "F16", "BF16"):
            if name in opts["--" + d.lower()]:
                dtype = d
        tensors[prefix + rename.get(name, name)] = (dtype, shape, from_floats(dtype, values))
        for c in opts["--copy"]:
            loom_name, new = c.split("=", 1)
            if loom_name == name:  # as stored, but without --scale
                tensors[new] = (dtype, shape, from_floats(dtype, original))
    for b in opts["--buffer"]:
        name, dims = b.split(":")
        shape = [int(d) for d in dims.split("x")]
        n = 1
        for d in shape:
            n *= d
        tensors[prefix + name] = ("F32", shape, from_floats("F32", [1.0] * n))
    if not shards:
        write(out, tensors)
        return
    names = list(tensors)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        file = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
        write(out + "/" + file, {n: tensors[n] for n in part})
        weight_map.update({n: file for n in part})
    with open(out + "/model.safetensors.index.json", "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def compare(argv):
    a, b = read(argv[0]), read(argv[1])
    tol = {}
    for i in range(2, len(argv), 2):
        name, x = argv[i + 1].split("=")
        tol[name] = float(x)
    if sorted(a) != sorted(b):
        sys.exit("different names: %s vs %s" % (sorted(a), sorted(b)))
    worst = 0.0
    for name in a:
        (da, sa, ra), (db, sb, rb) = a[name], b[name]
        if sa != sb:
            sys.exit("%s: shapes %s and %s" % (name, sa, sb))
        va, vb = to_floats(da, ra), to_floats(db, rb)
        scale = max([abs(v) for v in vb] + [1e-30])
        err = max([abs(x - y) for x, y in zip(va, vb)] + [0.0]) / scale
        if err > tol.get(name, 0.0):
            sys.exit("%s: differs by %.3g of its largest |value| (allowed %g)"
                     % (name, err, tol.get(name, 0.0)))
        worst = max(worst, err)
    print("EQUAL %d tensors, worst relative difference %.3g" % (len(a), worst))


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] not in ("export", "compare"):
        sys.exit(__doc__)
    (export if sys.argv[1] == "export" else compare)(sys.argv[2:])
