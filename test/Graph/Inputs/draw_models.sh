#!/usr/bin/env bash
# Draws every spec in models/ as DOT, expanded and collapsed, and checks
# that each picture has its inputs, outputs and edges; prints the mode auto
# chose. With Graphviz installed, dot must accept every picture.
# Usage: draw_models.sh LOOMC MODELS_DIR TMPDIR
set -euo pipefail
loomc=$1 models=$2 tmp=$3
mkdir -p "$tmp"
n=0
for spec in "$models"/*.loom "$models"/*.json; do
  name=$(basename "$spec")
  for blocks in auto expanded collapsed; do
    out="$tmp/$name.$blocks.dot"
    "$loomc" "$spec" --graph=dot --graph-blocks=$blocks -o "$out"
    grep -q 'shape=ellipse, style=filled, fillcolor="#dbe9f6"' "$out"
    grep -q 'shape=ellipse, style=filled, fillcolor="#fde2c8"' "$out"
    grep -q ' -> ' "$out"
    if command -v dot > /dev/null; then
      dot -Tsvg "$out" -o "$out.svg"
    fi
  done
  mode=$(grep -o '(blocks [a-z]*)' "$tmp/$name.auto.dot" | head -1)
  mode=${mode#(blocks }
  echo "$name: ${mode%)}"
  n=$((n + 1))
done
echo "drew $n models"
