#!/usr/bin/env bash
# Prove the wheel works outside a checkout: build it, install it with its dependencies
# into a fresh venv outside the repository, and from an empty folder run what a new
# user runs first. A module named `config` sits beside it in site-packages (it raises on
# import), so any stray top-level import of a generic name fails loudly.
#
#   scripts/check_wheel.sh [PYTHON]      (default: python3.11 or python3)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-$(command -v python3.11 || command -v python3)}"
work="$(mktemp -d -t cohesion-wheel-XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "wheel: building from the tracked (and new, unignored) files only"
# A copy, so that a stale build/ folder or a stray local file cannot reach the wheel.
mkdir "$work/src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - --) \
  | tar -xf - -C "$work/src"
"$python" -m venv "$work/build-venv"
"$work/build-venv/bin/python" -m pip install --quiet --upgrade pip build
"$work/build-venv/bin/python" -m build --wheel --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; exit 1; }
wheel="$(ls "$work"/dist/cohesion_monitor-*.whl)"

echo "wheel: what it installs at the top level"
top="$("$work/build-venv/bin/python" - "$wheel" <<'PY'
import sys, zipfile
names = {n.split("/")[0] for n in zipfile.ZipFile(sys.argv[1]).namelist()}
print(" ".join(sorted(names)))
PY
)"
echo "  $top"
for name in $top; do
  case "$name" in
    cohesion|cohesion_monitor-*.dist-info) ;;
    *) echo "wheel: unexpected top-level entry $name" >&2; exit 1 ;;
  esac
done

echo "wheel: installing into a fresh venv outside the checkout"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$wheel"
site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# The unrelated registry package `config` installs a top-level module of that name.
printf 'raise ImportError("cohesion imported the unrelated top-level module config")\n' \
  >"$site/config.py"

bin="$work/venv/bin"
run="$work/run"
mkdir "$run"
cd "$run"
unset COHESION_DATABASE_URL COHESION_CONFIG PYTHONPATH || true

echo "wheel: cohesion --version"
"$bin/cohesion" --version

echo "wheel: cohesion init (in an empty folder)"
"$bin/cohesion" init
test -f cohesion.toml

echo "wheel: cohesion classify-file"
cat >in.jsonl <<'JSONL'
{"id": "1", "text": "Thanks for the warm welcome, see you all at the library on Tuesday."}
{"id": "2", "text": "Someone should put a bullet in the county clerk before the vote."}
{"id": "3", "text": "The commission meeting is at 6pm; public comment is open to everyone."}
JSONL
"$bin/cohesion" classify-file in.jsonl out.jsonl
lines="$(wc -l <out.jsonl)"
test "$lines" -eq 3 || { echo "wheel: classify-file wrote $lines lines, expected 3" >&2; exit 1; }
"$bin/python" - <<'PY'
import json
rows = [json.loads(line) for line in open("out.jsonl", encoding="utf-8")]
by_id = {row["id"]: row for row in rows}
assert "threat" in by_id["2"]["flags"], f"the threat was not flagged: {by_id['2']}"
assert not by_id["1"]["flags"], f"a thank-you was flagged: {by_id['1']}"
print("  classify-file: 3 posts classified, the threat flagged, the thank-you not")
PY

echo "wheel: cohesion demo"
"$bin/cohesion" demo | tee demo.log
grep -q "^classify: " demo.log || { echo "wheel: the demo did not classify" >&2; exit 1; }
grep -q "weekly report: file://" demo.log || { echo "wheel: the demo wrote no report" >&2; exit 1; }
echo "wheel: ok"
