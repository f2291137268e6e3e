#!/usr/bin/env bash
# Installs what bitgen needs on Debian 12, only what is missing.
set -euo pipefail
packages=(
  gcc clang pkg-config python3             # compilers (packages must build with gcc and clang)
  lua5.4 liblua5.4-dev                     # the generator: Lua 5.4 embedded in a C host
  meson ninja-build                        # builds
  cmake g++ make                           # consumer tests: CMake, C++ and plain-make products
  qemu-user                                # older x86 CPU models; foreign CPU families
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross             # Arm cross builds (scripts/cross/)
  clang-16 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross  # RISC-V: clang 16 for RVV 1.0 intrinsics; gcc's sysroot
  nodejs                                   # GGUF interop test (@huggingface/gguf, below)
  time                                     # GNU time: the spec sandbox test's time and memory bounds
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm packages of the tests, pinned by tests/npm/package-lock.json, into
# tests/npm/node_modules (git-ignored): the GGUF interop test's reader and
# the prebuilt llama.cpp CPU libraries of node-llama-cpp 3.21.1 (optional,
# x86-64 only: the ggml peer check and bench).  A failure here only makes
# those tests skip, so it does not stop the setup.
if ! command -v npm >/dev/null 2>&1; then # Debian's nodejs comes without npm
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null ||
    echo "setup: warning: cannot install npm; the GGUF interop test will be skipped"
fi
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/npm"
if command -v npm >/dev/null 2>&1 && [ ! -f "$npm_dir/node_modules/.package-lock.json" -o \
    "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
  echo "setup: installing the tests' npm packages into tests/npm/node_modules"
  npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >/dev/null ||
    echo "setup: warning: npm ci failed; the GGUF interop and ggml peer tests will be skipped"
fi
echo "setup: all dependencies present"
