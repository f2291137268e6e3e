#!/usr/bin/env bash
# Every shipped spec generates a package; a subset (below) builds on its own
# (meson + ninja, C compiler only) and verifies on this CPU; the default
# package also builds with clang and works as a Meson subproject of a
# consumer project.
# usage: test_standalone.sh BITGEN SOURCE_ROOT
set -u
bitgen=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
step() { # name, command...
  local name=$1
  shift
  if "$@" >"$work/log" 2>&1; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name"
    tail -20 "$work/log"
  fi
}

build_and_verify() { # dir, compiler
  CC=$2 meson setup "$1/build" "$1" --buildtype=release >/dev/null && ninja -C "$1/build" >/dev/null &&
    "$1/build/bitgen-verify" --quick
}

# Every shipped spec generates; the suite builds and verifies a lean subset
# (the default model, a llama-architecture model, the tl and f16 formats:
# the odd-shape test packages cover every template) unless
# BITGEN_TEST_ALL_SPECS=1 asks for all.  scripts/run.sh builds and verifies
# the default model in every format.
lean="bitnet-b1.58-2b-4t falcon3-1b-1.58 bitnet-b1.58-2b-4t-tl bitnet-b1.58-2b-4t-f16"
for spec in "$root"/specs/*.lua; do
  name=$(basename "$spec" .lua)
  step "generate $name" "$bitgen" generate "$spec" -o "$work/$name"
  if [ "${BITGEN_TEST_ALL_SPECS:-0}" = 1 ] || [[ " $lean " == *" $name "* ]]; then
    step "build+verify $name (gcc)" build_and_verify "$work/$name" gcc
  fi
done

if command -v clang >/dev/null; then
  step "generate default for clang" "$bitgen" generate "$root/specs/bitnet-b1.58-2b-4t.lua" -o "$work/clang"
  step "build+verify default (clang)" build_and_verify "$work/clang" clang
else
  fail=$((fail + 1))
  echo "FAIL clang not installed (scripts/setup.sh installs it)"
fi

# A product embedding the package as a subproject, no Lua or bitgen in sight.
consumer() {
  mkdir -p "$work/app/subprojects" &&
    cp -r "$work/bitnet-b1.58-2b-4t" "$work/app/subprojects/bitgen_bitnet_b1_58_2b_4t" &&
    rm -rf "$work/app/subprojects/bitgen_bitnet_b1_58_2b_4t/build" &&
    cat >"$work/app/meson.build" <<'MESON' &&
project('app', 'c', default_options : ['c_std=c11'])
kernels = dependency('bitgen_bitnet_b1_58_2b_4t', fallback : ['bitgen_bitnet_b1_58_2b_4t', 'bitgen_bitnet_b1_58_2b_4t_dep'])
executable('app', 'app.c', dependencies : kernels)
MESON
    cat >"$work/app/app.c" <<'C' &&
#include <stdio.h>
#include "bitgen_bitnet_b1_58_2b_4t.h"
/* The calls every format has: pack_f32 (with its weight scale), an
 * activation object, quantize, gemv. */
int main(void) {
  size_t k = bitgen_bitnet_b1_58_2b_4t_matrix_shape(BITGEN_BITNET_B1_58_2B_4T_MATRIX_ATTN_K);
  size_t M = 0, K = 0;
  bitgen_bitnet_b1_58_2b_4t_shape_dims(k, &M, &K);
  size_t size = bitgen_bitnet_b1_58_2b_4t_packed_size(k);
  float *w = bitgen_bitnet_b1_58_2b_4t_alloc(M * K * sizeof(float));
  void *packed = bitgen_bitnet_b1_58_2b_4t_alloc(size);
  float *x = bitgen_bitnet_b1_58_2b_4t_alloc(K * sizeof(float)), *y = bitgen_bitnet_b1_58_2b_4t_alloc(M * sizeof(float));
  for (size_t i = 0; i < M * K; i++) w[i] = (float)((int)(i % 3) - 1) * 0.5f;
  for (size_t i = 0; i < K; i++) x[i] = (float)i / (float)K - 0.5f;
  float wscale = 0.0f;
  bitgen_bitnet_b1_58_2b_4t_act *a = NULL;
  int rc = bitgen_bitnet_b1_58_2b_4t_pack_f32(k, M, K, w, packed, size, &wscale);
  if (!rc) rc = bitgen_bitnet_b1_58_2b_4t_act_create(1, &a);
  if (!rc) rc = bitgen_bitnet_b1_58_2b_4t_quantize(x, 1, K, a, NULL);
  if (!rc) rc = bitgen_bitnet_b1_58_2b_4t_gemv(k, packed, size, wscale, a, y, M, NULL);
  bitgen_bitnet_b1_58_2b_4t_info_t info;
  bitgen_bitnet_b1_58_2b_4t_info(&info);
  printf("attn_k %zux%zu: %s, y[0]=%g via %s\n", M, K, bitgen_bitnet_b1_58_2b_4t_strerror(rc), (double)y[0],
         info.kernels[k].variant);
  bitgen_bitnet_b1_58_2b_4t_act_free(a);
  return rc != 0;
}
C
    meson setup "$work/app/build" "$work/app" >/dev/null && ninja -C "$work/app/build" >/dev/null && "$work/app/build/app"
}
step "embed as a subproject" consumer

echo "standalone tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
