# -*- Python -*-
# lit configuration for loom: .mlir tests run through loom-opt and FileCheck;
# .loom and .test tests drive the model compiler loomc (test/Frontend).
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "loom"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".loom", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.loom_obj_root, "test")
# Inputs/ hold files that tests read (JSON specs have no comments, so they
# cannot carry RUN lines); fuzz/ holds corpora, not lit tests.
config.excludes = [
    "CMakeLists.txt",
    "lit.cfg.py",
    "lit.site.cfg.py",
    "unit",
    "Inputs",
    "fuzz",
]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# loomc's kernel choice cache and loom's measured roofline live under
# XDG_CACHE_HOME: the tests get their own, so what a developer autotuned on
# this machine cannot change what they compile.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "xdg-cache")
llvm_config.use_default_substitutions()

# Tools: ours from the build, FileCheck & co from LLVM 22.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.loom_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("loom-opt", unresolved="fatal"),
    ToolSubst("loomc", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
# The runtime CLI `loom` is found on PATH (a substitution for the bare word
# "loom" would also hit "loom-opt" and file names).
llvm_config.with_environment("PATH", config.loom_tools_dir, append_path=True)
import sys
config.substitutions.append(("%python", sys.executable))

# Optional test data (scripts/test-data fetches it; tests that need it are
# UNSUPPORTED without it): the all-MiniLM-L6-v2 checkpoint.
test_data = os.environ.get("LOOM_TEST_DATA", os.path.join(config.loom_obj_root, "test-data"))
minilm = os.path.join(test_data, "all-MiniLM-L6-v2")
if os.path.exists(os.path.join(minilm, "model.safetensors")):
    config.available_features.add("minilm")
else:
    lit_config.note("no all-MiniLM-L6-v2 checkpoint in %s (run scripts/test-data): "
                    "test/Integration/minilm.test is skipped" % minilm)
config.substitutions.append(("%minilm", minilm))

# Graphviz's dot renders loomc --graph=svg|png|pdf (tests: REQUIRES: graphviz).
import shutil
if shutil.which("dot"):
    config.available_features.add("graphviz")

# Open MPI runs the data-parallel tests (REQUIRES: mpi): mpirun on PATH and
# the communication plugin built beside bin/loom. On one machine: several
# ranks per core, as root where CI runs as root, and no CMA single-copy
# (containers forbid the ptrace it needs).
if shutil.which("mpirun") and os.path.exists(
        os.path.join(config.loom_obj_root, "lib", "libloom_mpi.so")):
    config.available_features.add("mpi")
else:
    lit_config.note("no mpirun or no build/lib/libloom_mpi.so (apt install openmpi-bin "
                    "libopenmpi-dev, then rebuild): the data-parallel tests are skipped")
config.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
config.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
config.environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
config.environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
# Shared-memory segments in the test's temporary space, not /dev/shm
# (containers often give /dev/shm 64 MiB).
config.environment["OMPI_MCA_btl_vader_backing_directory"] = "/tmp"
config.substitutions.append(("%mpirun", "mpirun --oversubscribe --bind-to none"))

# The CUDA toolkit (ptxas, libdevice) for loomc --target=cuda (REQUIRES:
# ptxas), found as loomc finds it; a GPU with a driver for the tests that
# run kernels (REQUIRES: cuda-gpu; `loom devices --require-cuda` decides).
import subprocess
toolkit = None
for candidate in [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                  os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("ptxas"))))
                  if shutil.which("ptxas") else None, "/usr/local/cuda"]:
    if candidate and os.access(os.path.join(candidate, "bin", "ptxas"), os.X_OK):
        toolkit = candidate
        break
if toolkit:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", os.path.join(toolkit, "bin", "ptxas")))
else:
    lit_config.note("no CUDA toolkit (ptxas): the --target=cuda compile tests are skipped")
loom_bin = os.path.join(config.loom_tools_dir, "loom")
try:
    gpu = subprocess.run([loom_bin, "devices", "--require-cuda"], capture_output=True,
                         timeout=60).returncode == 0
except (OSError, subprocess.TimeoutExpired):
    gpu = False
if gpu:
    config.available_features.add("cuda-gpu")
else:
    lit_config.note("no CUDA GPU (loom devices --require-cuda): the tests that run "
                    "kernels on a GPU are skipped")
