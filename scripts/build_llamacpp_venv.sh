#!/usr/bin/env bash
# Builds .llamacpp-venv with llama-cpp-python 0.3.36, the anchor row of benchmarks/serving.py (the same
# SmolLM2 GGUF file through llama.cpp). PyPI ships it as source only: pip compiles llama.cpp, about 10
# minutes on 2 cores. Never part of `make test`; `make llamacpp` runs it. Idempotent (a stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
dir=.llamacpp-venv
stamp=$(sha1sum "$0" | cut -c1-12)
if [ -f "$dir/.stamp-$stamp" ]; then echo "$dir: up to date"; exit 0; fi
rm -rf "$dir"
$PY -m venv "$dir"
"$dir/bin/pip" install --quiet --upgrade pip
CMAKE_ARGS="-DGGML_NATIVE=ON" "$dir/bin/pip" install --quiet "llama-cpp-python==0.3.36"
"$dir/bin/python" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
touch "$dir/.stamp-$stamp"
