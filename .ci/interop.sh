#!/usr/bin/env bash
# Python interop: saved networks and safetensors files read and written by the reference
# implementation (`safetensors.numpy`) and checked against numpy. Installs numpy and
# safetensors into a throwaway virtual environment; fails if they cannot be installed,
# so that CI never passes without having run the checks.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "interop: python3 not found; skipping the Python interop tests"
  exit 0
fi

venv=$(mktemp -d "${TMPDIR:-/tmp}/backprop-interop.XXXXXX")
trap 'rm -rf "$venv"' EXIT

if ! python3 -m venv "$venv" >/dev/null; then
  echo "interop: python3 cannot create a virtual environment (is the venv module installed?)" >&2
  exit 1
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check safetensors numpy; then
  echo "interop: could not install safetensors and numpy from the package index; the interop tests did not run" >&2
  exit 1
fi

export BACKPROP_INTEROP_PYTHON="$venv/bin/python"
cargo test --test save_load interop -- --nocapture
cargo test --lib python_reads_and_writes_the_same_files -- --nocapture
