"""The wheel the build writes: a correct RECORD, and it installs into a
fresh venv (Debian's python3 with its numpy) where `import loom` compiles
and runs a model."""
import base64
import hashlib
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import LINEAR_SPEC


@pytest.fixture(scope="module")
def wheel() -> str:
    path = os.environ.get("LOOM_WHEEL")
    if not path or not os.path.exists(path):
        pytest.skip("LOOM_WHEEL is not set to the built wheel (run through ctest)")
    return path


def test_record_lists_every_file_with_its_hash(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        rows = [line.split(",") for line in z.read(record).decode().splitlines()]
        listed = {path for path, _, _ in rows}
        assert listed == set(names)
        for path, digest, size in rows:
            if path == record:
                assert digest == size == ""
                continue
            data = z.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
            assert digest == "sha256=" + expected.rstrip(b"=").decode(), path
            assert int(size) == len(data), path
        assert any(n.startswith("loom/_loom.") and n.endswith(".so") for n in names)
        wheel_meta = z.read(record.replace("RECORD", "WHEEL")).decode()
        assert f"Tag: {os.path.basename(wheel).split('-', 2)[2][:-4]}" in wheel_meta


def test_installs_into_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages",
                    str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env.pop("LOOM_KERNELS_LIBRARY", None)  # the wheel's own bundle
    pip = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q",
                          "--no-index", "--disable-pip-version-check", wheel],
                         capture_output=True, text=True, env=env)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    script = (
        "import os, numpy as np, loom\n"
        "print(loom.__file__)\n"
        f"art = loom.compile({LINEAR_SPEC!r}, dims={{'B': 2}}, kernels='halide')\n"
        "y = loom.Session(art, seed=1).run(x=np.ones((2, 4), np.float32))['y']\n"
        "assert y.shape == (2, 3), y.shape\n"
        "print(os.environ['LOOM_KERNELS_LIBRARY'])\n")
    r = subprocess.run([str(venv / "bin/python"), "-c", script], capture_output=True,
                       text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    module, bundle = r.stdout.split()
    assert module.startswith(str(venv)), module
    assert bundle.startswith(str(venv)) and os.path.exists(bundle), bundle
