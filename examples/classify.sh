#!/usr/bin/env bash
# `loom classify` on the tiny ViT (models/tiny_vit.json) trained on the
# synthetic `images` data (10 classes: stripes in 4 orientations or a
# checkerboard, warm period 8 or cool period 4; runtime/data/Data.h). The
# test images are PNG files that `loom sample images` writes from the
# generator's held-out stream; passes when the top-1 accuracy on 200 of them
# reaches 90% (full run) or 70% (QUICK=1, CI); chance is 10%. See
# examples/common.sh.
source "$(dirname "$0")/common.sh"
example_init classify 1000 300

compile "$models/tiny_vit.json" "$out/train" --dim B=32 --train
compile "$models/tiny_vit.json" "$out/forward" --dim B=8
train "$out/train" "$out/weights.safetensors" --data images --lr 1e-3 --warmup 50

echo "-- loom sample images: 200 held-out PNGs; loom classify"
rm -rf "$out/images"
"$loom" sample images --count 200 --seed 1 -o "$out/images"
"$loom" classify "$out/forward" --weights "$out/weights.safetensors" --top-k 3 \
  "$out/images/0000.png"
# With --top-k 1 each image is two lines: its path, then "  P  CLASS  NAME".
"$loom" classify "$out/forward" --weights "$out/weights.safetensors" --top-k 1 \
  "$out/images"/*.png > "$out/predictions.txt"
acc=$(awk -F'\t' '
  FNR == NR { want[$1] = $2; next }
  FNR % 2 == 1 { file = $0; sub(/.*\//, "", file); next }
  { split($0, f, " "); n++; if (f[2] == want[file]) ok++ }
  END { printf "%.4f", n ? ok / n : 0 }' "$out/images/labels.txt" "$out/predictions.txt")
bar=0.90
[ "$mode" = quick ] && bar=0.70
ok=0
at_least "$acc" "$bar" && ok=1
finish "$ok" "top-1 accuracy $acc on 200 held-out images (chance 0.10, bar $bar)"
