#!/usr/bin/env bash
# GPT-2 small (124M) compiled training step (forward, backward, AdamW with
# clipping) at B=4, T=64 on this machine: compile time, arena sizes, and the
# median time of one step over a few steps of `loom train` on text.
# Usage: bench/gpt2_train_step.sh [BUILD] [STEPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
steps=${2:-5}
out=$(mktemp -d "${TMPDIR:-/tmp}/loom-gpt2-train.XXXXXX")
trap 'rm -rf "$out"' EXIT

start=$(date +%s%N)
"$build/bin/loomc" "$root/models/gpt2.loom" --dim B=4 --dim T=64 --train -o "$out/gpt2"
end=$(date +%s%N)
echo "compile time: $(( (end - start) / 1000000 )) ms"
python3 - "$out/gpt2/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for name, f in m["functions"].items():
    print("arena %s: %.1f MiB" % (name, f["arena_bytes"] / 2**20))
n = sum(eval("*".join(map(str, p["shape"])) or "1") for p in m["params"])
print("parameters: %d, optimizer state tensors: %d" % (n, len(m.get("state", []))))
PY
corpus=$root/README.md
[ -f /usr/share/games/fortunes/fortunes ] && corpus=/usr/share/games/fortunes/fortunes
"$build/bin/loom" train "$out/gpt2" --data "text:$corpus" --steps "$steps" \
  --lr 6e-4 --log "$out/log.csv" --print-every 1
python3 - "$out/log.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = [float(r["seconds"]) for r in rows]
dt = sorted(b - a for a, b in zip([0.0] + t, t))
print("step time: median %.2f s, min %.2f s over %d steps (first %.2f s)"
      % (dt[len(dt) // 2], dt[0], len(dt), t[0]))
PY
