#!/usr/bin/env python3
"""Checks a `loom train` CSV log.

  check_log.py LOG.csv --final-below X [--first-above Y]
      the mean loss of the last 5 steps is below X (and the first loss
      above Y): prints "FELL first -> final"
  check_log.py LOG.csv --same-as OTHER.csv
      step, loss, grad_norm and lr agree bit for bit (as printed with 9
      significant digits, which round-trips f32): prints "IDENTICAL n steps"
  check_log.py LOG.csv --close-to OTHER.csv --rtol R
      the same steps and learning rates, and every loss and gradient norm
      within relative difference R: prints "CLOSE n steps"
"""
import csv
import sys


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no steps logged")
    return rows


def main():
    args = sys.argv[1:]
    rows = read(args[0])
    opts = dict(zip(args[1::2], args[2::2]))
    if "--same-as" in opts:
        other = read(opts["--same-as"])
        keys = ("step", "loss", "grad_norm", "lr")
        a = [tuple(r[k] for k in keys) for r in rows]
        b = [tuple(r[k] for k in keys) for r in other]
        if a != b:
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    sys.exit(f"differ at row {i}: {x} vs {y}")
            sys.exit(f"differ in length: {len(a)} vs {len(b)} steps")
        print(f"IDENTICAL {len(a)} steps")
        return
    if "--close-to" in opts:
        other = read(opts["--close-to"])
        rtol = float(opts["--rtol"])
        if [(r["step"], r["lr"]) for r in rows] != [(r["step"], r["lr"]) for r in other]:
            sys.exit("the steps or learning rates differ")
        worst = 0.0
        for r, o in zip(rows, other):
            for k in ("loss", "grad_norm"):
                a, b = float(r[k]), float(o[k])
                rel = abs(a - b) / max(abs(b), 1e-30)
                worst = max(worst, rel)
                if not rel <= rtol:
                    sys.exit(f"step {r['step']}: {k} {a!r} vs {b!r} (relative {rel:.3g} > {rtol})")
        print(f"CLOSE {len(rows)} steps", file=sys.stdout)
        print(f"worst relative difference {worst:.3g}", file=sys.stderr)
        return
    losses = [float(r["loss"]) for r in rows]
    steps = [int(r["step"]) for r in rows]
    if steps != list(range(steps[0], steps[0] + len(steps))):
        sys.exit("steps are not consecutive")
    tail = losses[-5:]
    final = sum(tail) / len(tail)
    bound = float(opts.get("--final-below", "inf"))
    first_min = float(opts.get("--first-above", "-inf"))
    if not final < bound:
        sys.exit(f"final loss {final:.4g} is not below {bound} "
                 f"(first {losses[0]:.4g}, min {min(losses):.4g})")
    if not losses[0] > first_min:
        sys.exit(f"first loss {losses[0]:.4g} is not above {first_min}")
    print(f"FELL {losses[0]:.4g} -> {final:.4g}")


if __name__ == "__main__":
    main()
