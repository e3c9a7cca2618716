#!/usr/bin/env python3
"""Kills `loom train` (SIGKILL) at random moments while it checkpoints after
every step, then checks that the checkpoint left behind is a complete one
that --resume continues from.

Usage: kill_during_save.py LOOM ARTIFACT DATA WORKDIR ROUNDS
Prints "SURVIVED n kills" on success.
"""
import os
import random
import signal
import subprocess
import sys
import time


def main():
    loom, art, data, work, rounds = sys.argv[1:6]
    rng = random.Random(1234)
    ck = os.path.join(work, "ck.safetensors")
    kills = 0
    for r in range(int(rounds)):
        if os.path.exists(ck):
            os.remove(ck)
        p = subprocess.Popen([loom, "train", art, "--data", data, "--steps", "100000",
                              "--checkpoint", ck, "--checkpoint-every", "1",
                              "--print-every", "100000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while not os.path.exists(ck) and time.time() < deadline and p.poll() is None:
            time.sleep(0.01)
        if p.poll() is not None:
            sys.exit(f"round {r}: loom train exited early with {p.returncode}")
        time.sleep(rng.uniform(0.05, 0.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        # The checkpoint must be whole: resume one more step from it.
        out = subprocess.run([loom, "train", art, "--resume", ck, "--checkpoint",
                              os.path.join(work, "after.safetensors"),
                              "--stop-after", str(step_of(loom, ck) + 1)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"round {r}: resuming the checkpoint left by the kill failed:\n{out.stderr}")
    # A kill during a write leaves its temporary file behind.
    mid = sum(1 for f in os.listdir(work) if f.startswith("ck.safetensors.tmp."))
    print(f"SURVIVED {kills} kills ({mid} during a checkpoint write)")


def step_of(loom, ck):
    # The header's metadata: 8-byte length, then JSON.
    import json
    import struct
    with open(ck, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return int(header["__metadata__"]["loom.step"])


if __name__ == "__main__":
    main()
