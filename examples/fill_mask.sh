#!/usr/bin/env bash
# `loom fill-mask` on the tiny BERT (models/tiny_bert.loom) pre-trained
# (masked LM + next sentence) on the fortunes (public-domain English from
# the Debian `fortunes` package, byte-level ids), every 20th fortune held
# out. `loom fill-mask --eval` masks held-out text the way the training data
# does and scores the [MASK]ed bytes; passes when the top-1 accuracy beats
# the best constant guess (the unigram baseline: always a space) by 15
# points (full run) or 5 points (QUICK=1, CI). See examples/common.sh.
source "$(dirname "$0")/common.sh"
example_init fill_mask 4000 1500

fortunes_corpus "$out"
echo "-- corpus: $(wc -c < "$out/train.txt") bytes to train on, $(wc -c < "$out/heldout.txt") held out"
# T = 32: [CLS] A [SEP] B [SEP] in 32 bytes (at T = 64 the masked LM stays
# on the unigram plateau about twice as long).
compile "$models/tiny_bert.loom" "$out/train" --dim B=64 --dim T=32 --train
# The forward scores 32 sequences per call (a single text fills every row).
compile "$models/tiny_bert.loom" "$out/forward" --dim B=32 --dim T=32
train "$out/train" "$out/weights.safetensors" --data "text:$out/train.txt" --lr 2e-3 --warmup 100

echo "-- loom fill-mask (one text, then 1000 held-out sequences)"
"$loom" fill-mask "$out/forward" --weights "$out/weights.safetensors" --top-k 3 \
  "What is the me[MASK]ning of life?"
report=$("$loom" fill-mask "$out/forward" --weights "$out/weights.safetensors" \
  --eval 1000 --data "$out/heldout.txt" --seed 1)
echo "$report"
top1=$(awk '/^top-1 accuracy:/ { print $3 }' <<< "$report")
base=$(awk '/^unigram baseline:/ { print $3 }' <<< "$report")
margin=0.15
[ "$mode" = quick ] && margin=0.05
ok=0
at_least "$top1" "$(awk -v b="$base" -v m="$margin" 'BEGIN { print b + m }')" && ok=1
finish "$ok" "top-1 accuracy $top1 on held-out [MASK]ed bytes vs the unigram baseline $base (bar: baseline + $margin)"
