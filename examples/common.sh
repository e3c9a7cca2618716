# Shared by the task examples (examples/{fill_mask,classify,clip_rank,
# translate}.sh); sourced, not run. Each example compiles a tiny model twice
# with loomc (a --train artifact and a forward for the task command), trains
# it on runtime/data's synthetic data (or the fortunes for BERT), runs the
# task command on held-out inputs, checks the outcome against a bar and
# prints one line: "example NAME: PASS|FAIL ...". It exits non-zero on FAIL.
#
# Environment:
#   STEPS=N           training steps (default: the example's full count)
#   QUICK=1           the example's reduced count and its lower bar (CI:
#                     scripts/test); STEPS still wins
#   LOOM_BUILD_DIR    the build (default build/); outputs go to
#                     $LOOM_BUILD_DIR/examples/NAME
#   LOOMC, LOOM       the binaries (default: $LOOM_BUILD_DIR/bin/...); when
#                     both are given, or LOOM_EXAMPLE_NO_BUILD=1, nothing is
#                     installed or built first
# The full bar applies when STEPS reaches the full count, else the quick one.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LOOM_BUILD_DIR:-$root/build}
loomc=${LOOMC:-$build/bin/loomc}
loom=${LOOM:-$build/bin/loom}
models=$root/models

# example_init NAME FULL_STEPS QUICK_STEPS: sets name, out, steps and
# mode (full or quick), builds what is missing, starts the clock.
example_init() {
  name=$1
  local full=$2 quick=$3
  if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
    steps=${STEPS:-$quick}
  else
    steps=${STEPS:-$full}
  fi
  case "$steps" in
    '' | *[!0-9]* | 0) echo "example $name: STEPS must be a positive integer, got '$steps'" >&2; exit 2 ;;
  esac
  mode=quick
  [ "$steps" -ge "$full" ] && mode=full
  out=$build/examples/$name
  mkdir -p "$out"
  if [ -z "${LOOM_EXAMPLE_NO_BUILD:-}" ] && { [ -z "${LOOMC:-}" ] || [ -z "${LOOM:-}" ]; }; then
    "$root/scripts/setup" >/dev/null
    "$root/scripts/build" loomc loom >/dev/null
  fi
  for bin in "$loomc" "$loom"; do
    [ -x "$bin" ] || { echo "example $name: $bin is missing (scripts/build loomc loom)" >&2; exit 2; }
  done
  SECONDS=0
  echo "== example $name: $steps training steps ($mode bar), outputs in $out =="
}

# compile SPEC OUT_DIR LOOMC_ARGS...: loomc SPEC ARGS -o OUT_DIR.
compile() {
  local spec=$1 dir=$2
  shift 2
  echo "-- loomc $(basename "$spec") $* -o ${dir#"$build"/}"
  "$loomc" "$spec" "$@" -o "$dir" >/dev/null
}

# train ARTIFACT CHECKPOINT LOOM_TRAIN_ARGS...: loom train, progress every
# tenth of the run.
train() {
  local artifact=$1 checkpoint=$2
  shift 2
  echo "-- loom train ${artifact#"$build"/} --steps $steps $*"
  "$loom" train "$artifact" --steps "$steps" --print-every $(( (steps + 9) / 10 )) \
    --checkpoint "$checkpoint" --log "$out/train.csv" "$@"
}

# at_least A B: whether the number A >= B.
at_least() {
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

# finish OK SUMMARY: the example's one line; exits 1 unless OK is 1.
finish() {
  local verdict=FAIL
  [ "$1" = 1 ] && verdict=PASS
  echo "example $name: $verdict: $2 ($steps steps, $mode bar, ${SECONDS} s)"
  [ "$1" = 1 ]
}

# fortunes_corpus DIR: DIR/train.txt and DIR/heldout.txt from the fortunes
# package (as scripts/demo), every 20th fortune held out.
fortunes_corpus() {
  local dir=$1 fortunes=/usr/share/games/fortunes all
  [ -d "$fortunes" ] || { echo "example $name: $fortunes is missing (scripts/setup installs the fortunes package)" >&2; exit 2; }
  all=$dir/fortunes.txt
  : > "$all"
  for f in "$fortunes"/*; do
    case "$f" in *.dat|*.u8|*/art|*/ascii-art) continue ;; esac
    [ -f "$f" ] && cat "$f" >> "$all"
  done
  # Fortunes end with a line "%".
  awk -v train="$dir/train.txt" -v held="$dir/heldout.txt" '
    { block = block $0 "\n" }
    /^%$/ { if (++n % 20 == 0) printf "%s", block > held; else printf "%s", block > train; block = "" }
    END { printf "%s", block > train }' "$all"
}
