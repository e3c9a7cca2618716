#!/usr/bin/env bash
# For every spec in models/: the text and JSON forms convert losslessly
# (canonical text -> JSON -> text is a fixed point) and compile to identical IR.
# Usage: check_models.sh LOOMC MODELS_DIR TMPDIR
set -euo pipefail
loomc=$1 models=$2 tmp=$3
mkdir -p "$tmp"
n=0
for spec in "$models"/*.loom "$models"/*.json; do
  name=$(basename "$spec")
  "$loomc" fmt "$spec" --to=text -o "$tmp/$name.text.loom"
  "$loomc" fmt "$spec" --to=json -o "$tmp/$name.json"
  "$loomc" fmt "$tmp/$name.json" --to=text -o "$tmp/$name.again.loom"
  "$loomc" fmt "$tmp/$name.text.loom" --to=json -o "$tmp/$name.again.json"
  cmp "$tmp/$name.text.loom" "$tmp/$name.again.loom"
  cmp "$tmp/$name.json" "$tmp/$name.again.json"
  "$loomc" "$spec" --emit=loom --no-locs -o "$tmp/$name.ir"
  "$loomc" "$tmp/$name.json" --emit=loom --no-locs -o "$tmp/$name.json.ir"
  "$loomc" "$tmp/$name.text.loom" --emit=loom --no-locs -o "$tmp/$name.text.ir"
  cmp "$tmp/$name.ir" "$tmp/$name.json.ir"
  cmp "$tmp/$name.ir" "$tmp/$name.text.ir"
  echo "ok $name"
  n=$((n + 1))
done
echo "$n specs: lossless and IR-identical"
