#!/usr/bin/env bash
# Builds the optional Python environments (git-ignored), idempotently:
#   .venv           python/requirements.txt           PyTorch / sentence-transformers backends, `npm run models`
#   .venv-infinity  python/requirements-infinity.txt  the Infinity server (its pins conflict with .venv)
# and, with .venv, llama.cpp's GGUF converter (scripts/setup-gguf-converter.sh, pinned, idempotent).
# A venv is rebuilt only when its requirements file changed (a sha256 stamp inside the venv).
# PYTHON picks the interpreter that creates them (default python3, which must be 3.10+).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
only="${1:-all}"   # all | main | infinity

build() {
  local dir="$1" req="$2"
  local want stamp
  want=$(sha256sum "$req" | cut -d' ' -f1)
  stamp="$dir/.parity-requirements.sha256"
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$dir is up to date ($req)"
    return
  fi
  echo "building $dir from $req ..."
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
  echo "$dir ready: $("$dir/bin/python" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__)')"
}

case "$only" in
  all) build .venv python/requirements.txt; bash scripts/setup-gguf-converter.sh; build .venv-infinity python/requirements-infinity.txt ;;
  main) build .venv python/requirements.txt; bash scripts/setup-gguf-converter.sh ;;
  infinity) build .venv-infinity python/requirements-infinity.txt ;;
  *) echo "usage: scripts/setup-python.sh [all|main|infinity]" >&2; exit 2 ;;
esac
