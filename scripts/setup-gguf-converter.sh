#!/usr/bin/env bash
# llama.cpp's own HF -> GGUF converter (convert_hf_to_gguf.py with its gguf-py/ and conversion/
# packages), taken from the llama-cpp-python source distribution on PyPI, where it ships under
# vendor/llama.cpp/. Only those files are extracted, into the git-ignored vendor/gguf-converter/,
# with VERSION.json recording the pin and the sdist's sha256. Nothing is built: the converter is pure
# Python and runs with .venv's interpreter (python/gguf_convert.py). Idempotent: a no-op when
# VERSION.json already names this pin. Called by scripts/setup-python.sh (npm run setup:python).
set -euo pipefail
cd "$(dirname "$0")/.."
# The pin. llama-cpp-python 0.3.36 vendors llama.cpp with gguf-py 0.19.0, the gguf-py version of
# the llama.cpp that node-llama-cpp 3.21.1 ships (its llama/gitRelease.bundle).
VERSION="0.3.36"
DEST="vendor/gguf-converter"
PYTHON="${PARITY_PYTHON:-.venv/bin/python}"

if [ -f "$DEST/VERSION.json" ] && grep -q "\"version\": \"$VERSION\"" "$DEST/VERSION.json" && [ -f "$DEST/convert_hf_to_gguf.py" ]; then
  echo "$DEST is up to date (llama-cpp-python $VERSION)"
  exit 0
fi
if [ ! -x "$PYTHON" ]; then
  echo "setup-gguf-converter: no Python at $PYTHON; run \`npm run setup:python\` first" >&2
  exit 2
fi
echo "fetching llama.cpp's converter from the llama-cpp-python $VERSION sdist ..."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# --no-binary: the sdist (the wheels hold no converter); --no-deps: only this file is wanted.
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  "llama-cpp-python==$VERSION" -d "$work/dl"
sdist="$work/dl/llama_cpp_python-$VERSION.tar.gz"
top="llama_cpp_python-$VERSION/vendor/llama.cpp"
mkdir -p "$work/out"
tar -xzf "$sdist" -C "$work/out" --strip-components=3 \
  "$top/convert_hf_to_gguf.py" "$top/gguf-py" "$top/conversion" "$top/LICENSE"
sha=$(sha256sum "$sdist" | cut -d' ' -f1)
printf '{\n  "package": "llama-cpp-python",\n  "version": "%s",\n  "sdistSha256": "%s",\n  "from": "%s/{convert_hf_to_gguf.py,gguf-py,conversion,LICENSE}"\n}\n' \
  "$VERSION" "$sha" "$top" > "$work/out/VERSION.json"
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.old"
[ -d "$DEST" ] && mv "$DEST" "$DEST.old"
mv "$work/out" "$DEST"
rm -rf "$DEST.old"
echo "$DEST ready: llama.cpp converter from llama-cpp-python $VERSION (sdist sha256 $sha)"
