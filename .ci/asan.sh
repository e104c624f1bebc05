#!/usr/bin/env bash
# The unsafe code under AddressSanitizer: the library's unit tests (every kernel of every
# instruction set against the plain loops, the matrix, the pool, the network) and the
# integration tests of sizes, errors, threads and kernels, built by the nightly compiler
# with `-Zsanitizer=address` (leak detection included). Where no nightly toolchain is
# installed and none can be, says so and skips: the other steps have tested the same code.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup run nightly rustc --version >/dev/null 2>&1 \
  && ! rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
  echo "skipped: no nightly toolchain could be installed (AddressSanitizer needs -Zsanitizer)"
  exit 0
fi
host=$(rustc -vV | sed -n 's/^host: //p')
# The size tests ask for allocations no machine can give: the sanitizer's allocator must
# return null for them, as the system's does, rather than stop the process.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
out=$(RUSTFLAGS="-Zsanitizer=address" cargo +nightly test --target "$host" --target-dir target/asan \
  --lib --test sizes --test errors --test threads --test kernels 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^test result'
