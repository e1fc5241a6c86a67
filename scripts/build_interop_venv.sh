#!/usr/bin/env bash
# Builds the venvs that hold the reference packages our interop tests run against. Their pins clash
# with ours, so each lives apart from .venv; tests call them through subprocesses and skip with a
# reason where a venv is absent. Idempotent: a venv whose stamp matches the function that builds it
# is kept (adding a venv here does not rebuild the others).
#
#   .interop-venv      bittensor 9.12.2 (the last release with Axon/Dendrite) + bittensor-wallet 4.1.1
#   .interop-venv-bt6  bittensor 6.12.4 (the last SDK on substrate-interface) for the chain node
#   .interop-venv-bt10 bittensor 10.0.0 (the first release holding the finney recording of
#                      shared/fixtures/bittensor-recorded, commit 563a8e168) for the live-runtime replay
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}

build() {  # build DIR FUNCTION
  local dir=$1; shift
  local stamp
  stamp=$(declare -f "$1" | sha1sum | cut -c1-12)
  if [ -f "$dir/.stamp-$stamp" ]; then echo "$dir: up to date"; return 0; fi
  rm -rf "$dir"
  $PY -m venv "$dir"
  "$dir/bin/pip" install --quiet --upgrade pip
  "$@"
  touch "$dir/.stamp-$stamp"
  echo "$dir: built"
}

bt9() {
  local pip=.interop-venv/bin/pip
  $pip install --quiet "bittensor==9.12.2" "bittensor-wallet==4.1.1"
  # bittensor 9.12.2's resolver pulls async-substrate-interface 2.x, which refuses scalecodec.
  $pip install --quiet "async-substrate-interface==1.5.15" "scalecodec==1.2.12"
  .interop-venv/bin/python -c "import bittensor, bittensor_wallet; print('bittensor', bittensor.__version__)"
}

bt6() {
  local pip=.interop-venv-bt6/bin/pip
  $pip install --quiet "torch==2.13.0"
  $pip install --quiet "bittensor==6.12.4" "torch==2.13.0" "setuptools>=77.0.3,<81"
  .interop-venv-bt6/bin/python -c "import bittensor; print('bittensor', bittensor.__version__)"
}

bt10() {
  local pip=.interop-venv-bt10/bin/pip
  # as for 9.12.2: async-substrate-interface 2.x (cyscale) refuses the scalecodec that 10.0.0 pins
  $pip install --quiet "bittensor==10.0.0" "async-substrate-interface==1.5.15" "scalecodec==1.2.12"
  .interop-venv-bt10/bin/python -c "import bittensor; print('bittensor', bittensor.__version__)"
}

build .interop-venv bt9
build .interop-venv-bt6 bt6
build .interop-venv-bt10 bt10
