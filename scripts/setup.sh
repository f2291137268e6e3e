#!/usr/bin/env bash
# Installs what bitgen needs on Debian 12, only what is missing.
set -euo pipefail
packages=(
  gcc clang pkg-config python3             # compilers (packages must build with gcc and clang)
  lua5.4 liblua5.4-dev                     # the generator: Lua 5.4 embedded in a C host
  meson ninja-build                        # builds
  qemu-user                                # older x86 CPU models; foreign CPU families
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross             # Arm cross builds (scripts/cross/)
  clang-16 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross  # RISC-V: clang 16 for RVV 1.0 intrinsics; gcc's sysroot
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
echo "setup: all dependencies present"
