#!/usr/bin/env bash
# `loom clip-rank` on the tiny CLIP (models/tiny_clip.loom) trained on the
# synthetic `captions` data (a coloured square, circle or cross at one of 5
# positions, captioned "red square tl" at T = 16; runtime/data/Data.h). The
# test set is 30 captioned PNGs from `loom sample captions` (the generator's
# held-out stream, 30 distinct captions); each image ranks all 30 captions.
# Passes when the true caption comes first for 70% of the images (full run)
# or 30% (QUICK=1, CI); chance is 1/30. See examples/common.sh.
source "$(dirname "$0")/common.sh"
example_init clip_rank 2000 1000

compile "$models/tiny_clip.loom" "$out/train" --dim B=32 --dim T=16 --train
compile "$models/tiny_clip.loom" "$out/forward" --dim B=8 --dim T=16
train "$out/train" "$out/weights.safetensors" --data captions --lr 1e-3 --warmup 100

echo "-- loom sample captions: 30 held-out pictures; loom clip-rank each against all 30 captions"
rm -rf "$out/images"
"$loom" sample captions --count 30 --seed 1 --caption-len 16 -o "$out/images"
captions=()
while IFS=$'\t' read -r _ caption; do captions+=("$caption"); done < "$out/images/labels.txt"
first=$("$loom" clip-rank "$out/forward" --weights "$out/weights.safetensors" \
  "$out/images/0000.png" "${captions[@]}")
head -n 4 <<< "$first"
right=0 total=0
while IFS=$'\t' read -r file caption; do
  # Line 2 is the best caption: "  PROBABILITY  COSINE  CAPTION".
  best=$("$loom" clip-rank "$out/forward" --weights "$out/weights.safetensors" \
    "$out/images/$file" "${captions[@]}" < /dev/null | sed -n '2s/^ *[^ ]* *[^ ]*  //p')
  total=$((total + 1))
  [ "$best" = "$caption" ] && right=$((right + 1))
done < "$out/images/labels.txt"
acc=$(awk -v r="$right" -v n="$total" 'BEGIN { printf "%.4f", r / n }')
bar=0.70
[ "$mode" = quick ] && bar=0.30
ok=0
at_least "$acc" "$bar" && ok=1
finish "$ok" "true caption first for $right/$total held-out images, $acc (chance 0.033, bar $bar)"
