#!/usr/bin/env python3
"""kill_rank.py ARTIFACT TEXT DIR: kill -9 one rank of a 2-rank `loom train`.

Starts `mpirun -np 2 loom train` with a checkpoint every 5 steps, waits
until a checkpoint exists, sends SIGKILL to rank 1 (its pid from the run's
"rank 1 of 2 ... pid N" line), and checks that the job ends within 30 s
with a non-zero status and that the checkpoint left behind resumes.
"""
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time


def checkpoint_step(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return int(json.loads(f.read(n))["__metadata__"]["loom.step"])


def main():
    art, text, out = sys.argv[1:4]
    ck = os.path.join(out, "kill.safetensors")
    log = os.path.join(out, "kill.stderr")
    cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", "2", "loom", "train",
           art, "--data", "text:" + text, "--steps", "1000000", "--threads", "1",
           "--checkpoint", ck, "--checkpoint-every", "5", "--print-every", "100000"]
    with open(log, "w") as err:
        job = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        pid = None
        deadline = time.time() + 120
        while time.time() < deadline and job.poll() is None:
            m = re.search(r"rank 1 of 2 on .*, pid (\d+)", open(log).read())
            if m and os.path.exists(ck):
                pid = int(m.group(1))
                break
            time.sleep(0.1)
        if pid is None:
            job.kill()
            sys.exit("no checkpoint or no rank 1 within 120 s:\n" + open(log).read())
        print(f"checkpoint at step {checkpoint_step(ck)}")
        time.sleep(0.3)  # mid-run: a step (or a checkpoint) is under way
        os.kill(pid, signal.SIGKILL)
        print("killed rank 1")
        start = time.time()
        try:
            status = job.wait(timeout=30)
        except subprocess.TimeoutExpired:
            job.kill()
            sys.exit("the job still runs 30 s after a rank was killed")
        took = time.time() - start
    if status == 0:
        sys.exit("the job ended with status 0")
    print(f"the job ended with status {status} within {took:.1f} s")
    # SIGTERM from mpirun ("terminated ..."), or an MPI error seen first.
    said = [l for l in open(log).read().splitlines()
            if l.startswith("loom train: rank 0:") or l.startswith("loom: error: rank 0 ")]
    if not said:
        sys.exit("rank 0 said nothing:\n" + open(log).read())
    print("rank 0 said: " + said[0])
    step = checkpoint_step(ck)
    r = subprocess.run(["loom", "train", art, "--resume", ck, "--steps", str(step + 1),
                        "--threads", "1"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("the checkpoint does not resume: " + r.stderr)
    line = [l for l in r.stdout.splitlines() if l.startswith("trained")]
    print("resumed: " + (line[0] if line else r.stdout))


if __name__ == "__main__":
    main()
