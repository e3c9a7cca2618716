#!/usr/bin/env python3
"""Writes loom's wheel from the built package directory (no setuptools).

    make_wheel.py PACKAGE_DIR DIST_DIR VERSION

PACKAGE_DIR is build/python/loom (the configured __init__.py, the _loom
extension, the Halide kernel bundle). The wheel is
DIST_DIR/loom-VERSION-TAG.whl with TAG from this interpreter (cp311-cp311-
linux_x86_64): a zip of the package plus loom-VERSION.dist-info/{METADATA,
WHEEL,RECORD}; RECORD lists every other file with its urlsafe-base64 SHA-256
and size (PEP 376/427). Entries are sorted and time-stamped 1980-01-01, so
the same inputs give the same bytes.
"""
import base64
import hashlib
import os
import sys
import sysconfig
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)


def tag() -> str:
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{platform}"


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"{path},sha256={digest.decode()},{len(data)}"


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    package, dist, version = sys.argv[1:]
    files = {}
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, os.path.dirname(package))
            with open(full, "rb") as f:
                files[rel.replace(os.sep, "/")] = f.read()
    if not any(p.startswith("loom/_loom") for p in files):
        print(f"make_wheel.py: no _loom extension in {package}", file=sys.stderr)
        return 1
    info = f"loom-{version}.dist-info"
    files[f"{info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        "Name: loom\n"
        f"Version: {version}\n"
        "Summary: loom: a transformer spec compiler and runtime (Python bindings)\n"
        "Requires-Python: =={}.{}.*\n"
        "Requires-Dist: numpy\n").format(*sys.version_info[:2]).encode()
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\n"
        "Generator: loom runtime/python/make_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag()}\n").encode()
    record = [record_line(p, d) for p, d in sorted(files.items())]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()

    os.makedirs(dist, exist_ok=True)
    wheel = os.path.join(dist, f"loom-{version}-{tag()}.whl")
    tmp = wheel + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        # RECORD last, as pip writes it.
        for path in sorted(files, key=lambda p: (p.endswith("/RECORD"), p)):
            entry = zipfile.ZipInfo(path, EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            executable = path.endswith(".so")
            entry.external_attr = (0o755 if executable else 0o644) << 16
            z.writestr(entry, files[path])
    os.replace(tmp, wheel)
    print(f"make_wheel.py: wrote {wheel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
