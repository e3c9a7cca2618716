#!/usr/bin/env bash
# `loom translate` on the tiny encoder-decoder (models/tiny_transformer.loom)
# trained on the synthetic `translation` data (1-8 English words -> the
# reversed French words, runtime/data/Data.h): beam search (beam 4, length
# penalty 0.6) over held-out pairs; passes when the exact-match accuracy
# reaches 80% (full run) or 50% (QUICK=1, CI). See examples/common.sh.
source "$(dirname "$0")/common.sh"
example_init translate 2000 1000

# S = 32 source bytes (up to ~6 words), T = 40 decoder positions.
compile "$models/tiny_transformer.loom" "$out/train" --dim B=32 --dim S=32 --dim T=40 --train
# The beam runs on the key/value-cache decode steps (loomc --decode), one
# batch row per hypothesis: B = the beam width.
compile "$models/tiny_transformer.loom" "$out/forward" --dim B=4 --dim S=32 --dim T=40 \
  --decode --decode-buckets=16,40
train "$out/train" "$out/weights.safetensors" --data translation --lr 3e-3 --warmup 100

echo "-- loom translate (one sentence, then 200 held-out pairs)"
"$loom" translate "$out/forward" --weights "$out/weights.safetensors" --n-best 2 "big red cat"
report=$("$loom" translate "$out/forward" --weights "$out/weights.safetensors" \
  --beam 4 --length-penalty 0.6 --eval 200 --seed 1)
echo "$report"
acc=$(awk '/^exact match:/ { print $3 }' <<< "$report")
bar=0.80
[ "$mode" = quick ] && bar=0.50
ok=0
at_least "$acc" "$bar" && ok=1
finish "$ok" "exact match $acc on 200 held-out pairs (bar $bar)"
