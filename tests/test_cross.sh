#!/usr/bin/env bash
# Another CPU family under emulation: generates the default spec and the test
# specs, cross-builds each package standalone with scripts/cross/<triple>.ini,
# and runs its bitgen-verify under qemu-user on CPU models chosen so that the
# dispatcher must pick each ISA of the family (BITGEN_EXPECT_ISA).  The test
# packages get the full quick check per model; every package gets --digest
# (every kernel once, checked against the reference), whose hashes of packed
# bytes and outputs must equal the host's: same bytes, same outputs on x86,
# Arm and RISC-V.  A missing cross compiler, sysroot or qemu is a failure:
# scripts/setup.sh installs them.
# usage: test_cross.sh BITGEN SOURCE_ROOT aarch64|riscv64 [HOST_VERIFY...]
#   in the order of `keys` below: default, odd-a, odd-b, then one test package
#   per other weight format.
#   HOST_VERIFY_*: the host's bitgen-verify of each package (the top-level build
#   passes its own); without them the packages are also built for the host.
set -u
bitgen=$1
root=$2
family=$3
shift 3
host_verify=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# Per family: triple, qemu, the compilers the cross file names, the ISAs a
# package must build, and "qemu CPU model:ISA the dispatcher must pick"
# (":forced": the ISA is forced with BITGEN_ISA, for the portable kernels,
# which no Arm CPU selects by itself).
case $family in
aarch64)
  triple=aarch64-linux-gnu
  qemu=qemu-aarch64
  tools=(aarch64-linux-gnu-gcc aarch64-linux-gnu-ar)
  isas="scalar neon neondot i8mm sve"
  models=(cortex-a53:scalar:forced cortex-a53:neon cortex-a76:neondot max,sve=off:i8mm max,sve128=on:sve
          max,sve256=on:sve max,sve512=on:sve)
  ;;
riscv64)
  triple=riscv64-linux-gnu
  qemu=qemu-riscv64
  tools=(clang-16 riscv64-linux-gnu-gcc riscv64-linux-gnu-ar)
  isas="scalar rvv"
  models=(rv64:scalar rv64,v=true,vlen=128,vext_spec=v1.0:rvv rv64,v=true,vlen=256,vext_spec=v1.0:rvv)
  ;;
*)
  echo "usage: test_cross.sh BITGEN SOURCE_ROOT aarch64|riscv64 [HOST_VERIFY...]" >&2
  exit 2
  ;;
esac
sysroot=/usr/$triple
cross=$root/scripts/cross/$triple.ini

missing=""
for t in "${tools[@]}" "$qemu" meson ninja; do command -v "$t" >/dev/null || missing="$missing $t"; done
[ -e "$sysroot/lib/libc.so.6" ] || missing="$missing $sysroot (libc6-dev-*-cross)"
[ -e "$cross" ] || missing="$missing $cross"
if [ -n "$missing" ]; then
  bad "$family toolchain missing:$missing (scripts/setup.sh installs it)"
  exit 1
fi

keys=(default odd-a odd-b)
specs=("$root/specs/bitnet-b1.58-2b-4t.lua" "$root/tests/specs/odd-a.lua" "$root/tests/specs/odd-b.lua")
for f in tq2_0 tq1_0 q4_0 q8_0 tl q6_k f16 bf16; do
  keys+=("odd-$f")
  specs+=("$root/tests/specs/odd-$f.lua")
done

columns() { awk '$1 == "digest" { print $2, $4, $5 }' "$1"; } # kernel, packed hash, output hash

start=$SECONDS
for i in "${!keys[@]}"; do
  key=${keys[$i]}
  dir=$work/$key
  if ! "$bitgen" generate "${specs[$i]}" -o "$dir" >"$work/log" 2>&1; then
    bad "generate $key"
    cat "$work/log"
    continue
  fi

  # the host's digests: the selected variant of every kernel
  hv=${host_verify[$i]:-}
  if [ -z "$hv" ]; then
    hv=$dir/build-host/bitgen-verify
    if ! { meson setup "$dir/build-host" "$dir" && ninja -C "$dir/build-host"; } >"$work/log" 2>&1; then
      bad "build $key for the host"
      tail -20 "$work/log"
      continue
    fi
  fi
  if "$hv" --digest >"$work/host-$key" 2>&1 && [ -s "$work/host-$key" ]; then
    ok "$key: host digests ($(awk '{ print $3 }' "$work/host-$key" | sort -u | paste -sd' '))"
  else
    bad "$key: host digests"
    cat "$work/host-$key"
    continue
  fi

  # the cross build must compile every ISA of the family, never skip one
  t0=$SECONDS
  if ! { meson setup "$dir/build-$family" "$dir" --cross-file "$cross" && ninja -C "$dir/build-$family"; } \
    >"$work/log" 2>&1; then
    bad "$key: cross-build for $family"
    tail -30 "$work/log"
    continue
  fi
  built=$(sed -n 's/.*ISA variants built: //p' "$work/log" | head -1)
  if [ "$built" = "$isas" ]; then
    ok "$key: cross-built for $family: $built ($((SECONDS - t0))s)"
  else
    bad "$key: cross-build for $family compiled '$built', want '$isas'"
    continue
  fi
  verify=$dir/build-$family/bitgen-verify

  for m in "${models[@]}"; do
    IFS=: read -r cpu isa how <<<"$m"
    # BITGEN_ISA empty: --isa narrows the checks, the dispatcher still chooses
    force=(BITGEN_ISA=) picks=selects
    [ "$how" = forced ] && force=(BITGEN_ISA="$isa") picks="forced to"
    t0=$SECONDS
    # the test packages' shapes are small enough for the full quick check
    if [ "$key" != default ]; then
      if env "${force[@]}" BITGEN_EXPECT_ISA="$isa" "$qemu" -L "$sysroot" -cpu "$cpu" "$verify" --quick --isa "$isa" \
        >"$work/log" 2>&1; then
        ok "$key: -cpu $cpu $picks $isa, bit-exact ($(grep -c " ok" "$work/log") variants, $((SECONDS - t0))s)"
        grep "^bitgen-verify: checks per ISA:" "$work/log" # for the suite's summary
      else
        bad "$key: -cpu $cpu --isa $isa"
        grep -v " ok" "$work/log" | tail -20
      fi
      t0=$SECONDS
    fi
    if ! env "${force[@]}" BITGEN_EXPECT_ISA="$isa" "$qemu" -L "$sysroot" -cpu "$cpu" "$verify" --digest --isa "$isa" \
      >"$work/emu" 2>&1; then
      bad "$key: -cpu $cpu --digest --isa $isa"
      grep -v "^digest .* out=[0-9a-f]*$" "$work/emu" | tail -20
    elif ! diff <(columns "$work/host-$key") <(columns "$work/emu") >"$work/log"; then
      bad "$key: -cpu $cpu digests differ from the host's"
      head -20 "$work/log"
    elif awk -v isa="$isa" '$1 == "digest" && $3 != isa { exit 1 }' "$work/emu"; then
      ok "$key: -cpu $cpu $isa digests equal the host's ($(grep -c "^digest" "$work/emu") kernels, $((SECONDS - t0))s)"
    else
      bad "$key: -cpu $cpu digests not all from $isa"
    fi
  done
done

echo "cross tests ($family): $pass passed, $fail failed in $((SECONDS - start))s"
[ "$fail" -eq 0 ]
