#!/usr/bin/env bash
# GPT-2 small (124M) forward pass at B=1, T=128 on this machine: compile time,
# arena size and the median latency of `loom_forward` (random weights; the
# time does not depend on their values). Usage: bench/gpt2_forward.sh [BUILD]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=$(mktemp -d "${TMPDIR:-/tmp}/loom-gpt2.XXXXXX")
trap 'rm -rf "$out"' EXIT

start=$(date +%s%N)
"$build/bin/loomc" "$root/models/gpt2.loom" --dim B=1 --dim T=128 -o "$out/gpt2"
end=$(date +%s%N)
echo "compile time: $(( (end - start) / 1000000 )) ms"
python3 - "$out/gpt2/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for name, f in m["functions"].items():
    print("arena %s: %.1f MiB" % (name, f["arena_bytes"] / 2**20))
PY
python3 "$root/scripts/bytes_to_npy.py" "$out/tokens.npy" 128 \
  "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief."
"$build/bin/loom" run "$out/gpt2" --seed 0 --input tokens="$out/tokens.npy" --repeat 5
