#!/usr/bin/env bash
# The send path of two commits, measured in the same run:
#
#   bench/compare.sh <before-commit> [after-commit]      (RUNS rounds, 5 by default)
#
# Without an after-commit, "after" is this checkout as it stands (uncommitted changes included).
# Each commit named gets a worktree of its own in a temporary folder, beside this one in the same
# repository, sharing this checkout's virtualenv. Both sides are measured by this checkout's
# benchmark (bench/*.py is copied over the older one), so only the services differ. Each round
# runs `AUTHORISE_PHASES=wallet python -m bench.authorise` once per side, the order alternating
# from round to round (before first in odd rounds), so the machine's drift falls on both alike.
# Then bench/compare.py prints each figure's median and spread per side and its verdict: worse
# only if its median moved by more than either side's spread AND it was worse in every round.
# Exits 1 when a figure is worse. COMPARE_KEEP=1 keeps the worktrees and the results.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: bench/compare.sh <before-commit> [after-commit]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
case "$runs" in
  '' | *[!0-9]*) echo "RUNS must be a whole number, got '$runs'" >&2; exit 2 ;;
esac
if [ "$runs" -lt 2 ] || [ "$runs" -gt 50 ]; then
  echo "RUNS must be between 2 and 50, got $runs" >&2
  exit 2
fi
before_commit="$(git -C "$here" rev-parse --verify "$1^{commit}")"
after_commit=""
if [ $# -eq 2 ]; then
  after_commit="$(git -C "$here" rev-parse --verify "$2^{commit}")"
fi

venv="$(readlink -f "$here/.venv")"
python="$venv/bin/python"
work="$(mktemp -d "${TMPDIR:-/tmp}/bench-compare-XXXXXX")"
results="$work/results"
mkdir -p "$results"
trees=()

cleanup() {
  if [ "${COMPARE_KEEP:-}" = "1" ]; then
    echo "kept: $work" >&2
    return
  fi
  for tree in "${trees[@]}"; do
    git -C "$here" worktree remove --force "$tree" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A worktree of <commit> that runs this checkout's benchmark against its own services.
prepare() {
  local commit="$1" tree="$2"
  git -C "$here" worktree add --detach --quiet "$tree" "$commit"
  trees+=("$tree")
  ln -s "$venv" "$tree/.venv"
  cp "$here"/bench/*.py "$tree/bench/"
  if git -C "$here" diff --quiet "$commit" -- protos scripts/generate.py; then
    ln -s "$(readlink -f "$here/gen")" "$tree/gen"
  else
    # Contracts differ: generate them for that tree, leaving the virtualenv's own path alone.
    local pth
    pth="$("$python" -c 'import site; print(site.getsitepackages()[0])')/billing_generated.pth"
    local saved
    saved="$(cat "$pth" 2>/dev/null || true)"
    (cd "$tree" && "$python" scripts/vendor_google_api.py protos/third_party \
      && "$python" scripts/generate.py --protos protos --out gen) >/dev/null
    printf '%s\n' "$saved" >"$pth"
  fi
}

before_tree="$work/before"
prepare "$before_commit" "$before_tree"
if [ -n "$after_commit" ]; then
  after_tree="$work/after"
  prepare "$after_commit" "$after_tree"
else
  after_tree="$here"
fi

measure() {
  local side="$1" tree="$2" round="$3"
  echo "round $round: $side ($tree)" >&2
  (cd "$tree" && PYTHONPATH="$tree/gen:$tree" AUTHORISE_PHASES=wallet \
    AUTHORISE_RESULTS="$results/$side-$round.json" "$python" -m bench.authorise >/dev/null)
}

for round in $(seq 1 "$runs"); do
  if [ $((round % 2)) -eq 1 ]; then
    measure before "$before_tree" "$round"
    measure after "$after_tree" "$round"
  else
    measure after "$after_tree" "$round"
    measure before "$before_tree" "$round"
  fi
done

echo "before: $(git -C "$here" log -1 --format='%h %s' "$before_commit")"
if [ -n "$after_commit" ]; then
  echo "after:  $(git -C "$here" log -1 --format='%h %s' "$after_commit")"
else
  echo "after:  this checkout ($(git -C "$here" log -1 --format='%h' HEAD)$(git -C "$here" diff --quiet HEAD || echo ', with changes'))"
fi
echo
(cd "$here" && PYTHONPATH="$here" "$python" -m bench.compare "$results")
