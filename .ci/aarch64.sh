#!/usr/bin/env bash
# The NEON kernels: lints for aarch64, and the whole test suite (every kernel against the
# plain loops, the gradient checks, ...) run under user-mode emulation, about 3 minutes. Needs the aarch64 standard library from rustup,
# a cross linker and qemu-user from Debian; where those cannot be installed, says so and
# skips, since the x86_64 run above has already tested everything else.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
if ! rustup target add "$target" >/dev/null 2>&1; then
  echo "skipped: the $target standard library could not be installed"
  exit 0
fi
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; } >/dev/null 2>&1; then
    echo "skipped: the aarch64 cross linker and qemu-user could not be installed"
    exit 0
  fi
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo clippy --target "$target" --all-targets --all-features -- -D warnings
out=$(cargo test --release --target "$target" --all-features 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^test result'
# The kernel tests must have run on NEON, not only on the portable loops.
echo "$out" | grep -q 'kernels::tests::the_selected_set_is_available ... ok'
