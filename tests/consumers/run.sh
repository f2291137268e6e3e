#!/usr/bin/env bash
# Products embedding generated packages, one build style per run, each
# running a GEMV checked bit-exact against a reference (check_*.c), through
# the one call shape of every format (pack_f32 / act / quantize / gemv):
#   meson-subproject  package as a subproject of a debug-buildtype product;
#                     its kernels' compile commands must be optimized
#   cmake-subdir      CMake add_subdirectory, Debug build type, same check
#   cmake-find        meson install into a prefix, then CMake find_package
#                     (static and shared) and pkg-config
#   make              the package's Makefile (bitgen-verify) and a product
#                     Makefile including the package's .mk
#   two-packages      an i2s and a tq2_0 package in one binary: static
#                     archives, whole-archive, shared libraries, all sources
#                     compiled into one executable; nm: every exported
#                     symbol carries its package's prefix
#   cxx               a C++ product (CMake) with both packages
# Packages: tests/specs/odd-a.lua (i2s) and odd-tq2_0.lua, scalar + avx2 only
# (x86; elsewhere the host family's first ISA), to keep the builds small.
# usage: run.sh BITGEN SOURCE_ROOT STYLE       exit 77: a tool is missing
set -u
bitgen=$1
root=$2
style=$3
here="$root/tests/consumers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
A=bitgen_test_odd_a
B=bitgen_test_odd_tq2_0

need() {
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (scripts/setup.sh installs it)"; exit 77; }
  done
}
die() { echo "FAIL: $*"; exit 1; }
run() { # command...: quiet unless it fails
  "$@" >"$work/log" 2>&1 || { cat "$work/log" | tail -40; die "$*"; }
}

case $(uname -m) in
  x86_64) isas=scalar,avx2 ;;
  aarch64) isas=scalar,neon ;;
  *) isas=scalar ;;
esac
gen() { # spec, dir
  mkdir -p "$(dirname "$2")"
  run "$bitgen" generate "$root/tests/specs/$1.lua" -o "$2" --isa "$isas"
}

# compile_commands.json: every compile of a file under DIR (a .c) must end
# up optimized (its last -O flag is -O2 or -O3), and the product's own file
# must be -O0, proving the parent build is a debug build.
check_optimized() { # compile_commands.json, package dir name, product file
  python3 - "$@" <<'PY' || exit 1
import json, re, shlex, sys
cmds, pkg, app = sys.argv[1], sys.argv[2], sys.argv[3]
pkg_n = app_n = 0
bad = []
for e in json.load(open(cmds)):
    args = e.get("arguments") or shlex.split(e["command"])
    opts = [a for a in args if re.fullmatch(r"-O[0-9sgz]?", a)]
    last = opts[-1] if opts else "(none)"
    f = e["file"]
    if "/" + pkg + "/" in f or f.startswith(pkg + "/"):
        pkg_n += 1
        if last not in ("-O2", "-O3"):
            bad.append(f"{f}: {last}")
    elif f.endswith(app):
        app_n += 1
        if last not in ("-O0", "(none)"):  # CMake's Debug passes no -O: -O0
            bad.append(f"product {f}: {last}, expected -O0 (debug parent)")
if pkg_n == 0 or app_n == 0:
    bad.append(f"found {pkg_n} package and {app_n} product compile commands")
for b in bad:
    print("not optimized as required:", b)
print(f"{pkg_n} package compile commands optimized; the product's {app} is not (debug parent)")
sys.exit(1 if bad else 0)
PY
}

case $style in
meson-subproject)
  need meson ninja python3
  gen odd-a "$work/app/subprojects/$A"
  cp "$here/main_one.c" "$here/check_odd_a.c" "$work/app/"
  cat >"$work/app/meson.build" <<EOF
project('app', 'c', default_options : ['c_std=c11'])  # buildtype: debug (the default)
kernels = dependency('$A', fallback : '$A')
executable('app', 'main_one.c', 'check_odd_a.c', dependencies : kernels)
EOF
  meson setup "$work/build" "$work/app" >"$work/setup.log" 2>&1 || { tail -30 "$work/setup.log"; die "meson setup"; }
  grep "built with optimization=3" "$work/setup.log" || die "configure did not say how the kernels are built"
  check_optimized "$work/build/compile_commands.json" "subprojects/$A" main_one.c
  run ninja -C "$work/build"
  "$work/build/app" || die "app"
  ;;

cmake-subdir)
  need cmake make python3
  gen odd-a "$work/app/$A"
  cp "$here/main_one.c" "$here/check_odd_a.c" "$work/app/"
  cat >"$work/app/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.13)
project(app C)
add_subdirectory($A)
add_executable(app main_one.c check_odd_a.c)
target_link_libraries(app PRIVATE $A::$A)
EOF
  cmake -S "$work/app" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    >"$work/setup.log" 2>&1 || { tail -30 "$work/setup.log"; die "cmake configure"; }
  grep "$A: ISA variants built" "$work/setup.log" || die "configure did not say what it builds"
  check_optimized "$work/build/compile_commands.json" "$A" main_one.c
  run cmake --build "$work/build" -j 2
  "$work/build/app" || die "app"
  ;;

cmake-find)
  need cmake make meson ninja pkg-config
  gen odd-a "$work/pkg"
  run meson setup "$work/pkg/build" "$work/pkg" --prefix="$work/inst"
  run ninja -C "$work/pkg/build"
  run meson install -C "$work/pkg/build"
  libdir=$(dirname "$(find "$work/inst" -name "lib$A.a")")
  for f in "$work/inst/include/bitgen/test-odd-a/$A.h" "$libdir/lib$A.so.0.1.0" "$libdir/pkgconfig/$A.pc" \
    "$libdir/cmake/$A/$A-config.cmake" "$libdir/cmake/$A/$A-config-version.cmake"; do
    [ -f "$f" ] || die "meson install did not install $f"
  done
  [ "$(cd "$work/inst/include/bitgen/test-odd-a" && LC_ALL=C ls | tr '\n' ' ')" = "$A.h ${A}_lowlevel.h " ] ||
    die "installed other headers than the public one and the per-format one"
  soname=$(objdump -p "$libdir/lib$A.so.0.1.0" | awk '$1 == "SONAME" {print $2}')
  [ "$soname" = "lib$A.so.0.1.0" ] || die "soname is '$soname'"
  echo "ok   installed: header, lib$A.a, lib$A.so.0.1.0 (soname $soname), $A.pc, CMake package files"
  mkdir -p "$work/app"
  cp "$here/main_one.c" "$here/check_odd_a.c" "$work/app/"
  cat >"$work/app/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.13)
project(app C)
find_package($A 0.1.0 REQUIRED)
add_executable(app main_one.c check_odd_a.c)
target_link_libraries(app PRIVATE $A::$A)
add_executable(app_shared main_one.c check_odd_a.c)
target_link_libraries(app_shared PRIVATE $A::${A}_shared)
EOF
  run cmake -S "$work/app" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/inst"
  run cmake --build "$work/build" -j 2
  "$work/build/app" || die "app (static)"
  "$work/build/app_shared" || die "app (shared)"
  ldd "$work/build/app_shared" | grep -q "lib$A.so.0.1.0 => $libdir" || die "app_shared does not load the installed library"
  # pkg-config, as a Makefile or shell build would use it
  export PKG_CONFIG_PATH="$libdir/pkgconfig"
  run cc -std=c11 -ffp-contract=off "$here/main_one.c" "$here/check_odd_a.c" $(pkg-config --cflags --libs "$A") \
    -Wl,-rpath,"$libdir" -o "$work/app_pc"
  "$work/app_pc" || die "app (pkg-config)"
  ;;

make)
  need make cc
  gen odd-a "$work/pkg"
  run make -C "$work/pkg" -j2
  run make -C "$work/pkg" check
  echo "ok   the package's Makefile: libraries and bitgen-verify --quick"
  mkdir -p "$work/app"
  cp "$here/main_one.c" "$here/check_odd_a.c" "$work/app/"
  cat >"$work/app/Makefile" <<EOF
${A}_DIR := ../pkg
include ../pkg/$A.mk
CFLAGS = -std=c11 -g -O0 -ffp-contract=off

app: main_one.c check_odd_a.c \$(${A}_LIB)
	\$(CC) \$(CFLAGS) \$(${A}_INCLUDE) main_one.c check_odd_a.c \$(${A}_LIB) \$(${A}_LDLIBS) -o \$@
EOF
  run make -C "$work/app" -j2 app
  "$work/app/app" || die "app"
  ;;

two-packages)
  need meson ninja make nm cc
  gen odd-a "$work/$A"
  gen odd-tq2_0 "$work/$B"
  for p in $A $B; do
    run meson setup "$work/$p/build" "$work/$p"
    run ninja -C "$work/$p/build" "lib$p.a" "lib$p.so.0.1.0"
    # every defined external symbol of the package carries its prefix
    for lib in "$work/$p/build/lib$p.a" "$work/$p/build/lib$p.so.0.1.0"; do
      bad=$(nm -g --defined-only "$lib" 2>/dev/null | awk -v p="${p}_" 'NF == 3 && index($3, p) != 1 {print $3}' | sort -u)
      [ -z "$bad" ] || die "$(basename "$lib") exports symbols without the prefix ${p}_: $(echo $bad)"
      n=$(nm -g --defined-only "$lib" | awk 'NF == 3' | sort -u | wc -l)
      echo "ok   $(basename "$lib"): $n exported symbols, all ${p}_*"
    done
  done
  cd "$work" || exit 1
  src=("$here/main_two.c" "$here/check_odd_a.c" "$here/check_odd_tq2_0.c")
  cflags=(-std=c11 -ffp-contract=off -I"$A" -I"$B")
  run cc "${cflags[@]}" "${src[@]}" "$A/build/lib$A.a" "$B/build/lib$B.a" -pthread -lm -o app_static
  ./app_static >log || { cat log; die "static archives"; }
  echo "ok   static archives"
  run cc "${cflags[@]}" "${src[@]}" -Wl,--whole-archive "$A/build/lib$A.a" "$B/build/lib$B.a" \
    -Wl,--no-whole-archive -pthread -lm -o app_whole
  ./app_whole >log || { cat log; die "whole archives"; }
  echo "ok   whole archives"
  run cc "${cflags[@]}" "${src[@]}" "$A/build/lib$A.so.0.1.0" "$B/build/lib$B.so.0.1.0" \
    -Wl,-rpath,"$work/$A/build:$work/$B/build" -pthread -lm -o app_shared
  ./app_shared >log || { cat log; die "shared libraries"; }
  echo "ok   shared libraries"
  # every source of both packages compiled and linked into one executable
  mkdir -p app
  cp "${src[@]}" app/
  cat >app/Makefile <<EOF
include ../$A/$A.mk
include ../$B/$B.mk
CFLAGS = -std=c11 -ffp-contract=off

app: main_two.c check_odd_a.c check_odd_tq2_0.c \$(${A}_OBJS) \$(${B}_OBJS)
	\$(CC) \$(CFLAGS) \$(${A}_INCLUDE) \$(${B}_INCLUDE) \$^ -pthread -lm -o \$@
EOF
  run make -C app -j2 app
  ./app/app >log || { cat log; die "all sources in one executable"; }
  cat log
  echo "ok   all sources of both packages in one executable"
  ;;

cxx)
  need cmake make g++
  gen odd-a "$work/app/$A"
  gen odd-tq2_0 "$work/app/$B"
  cp "$here/main.cpp" "$here/check_odd_a.c" "$here/check_odd_tq2_0.c" "$work/app/"
  cat >"$work/app/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.13)
project(app C CXX)
add_subdirectory($A)
add_subdirectory($B)
add_executable(app main.cpp)
set_target_properties(app PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
target_compile_options(app PRIVATE -Wall -Wextra -Werror -ffp-contract=off)
target_link_libraries(app PRIVATE $A::$A $B::$B)
EOF
  run cmake -S "$work/app" -B "$work/build" -DCMAKE_CXX_COMPILER=g++
  run cmake --build "$work/build" -j 2
  "$work/build/app" || die "app"
  ;;

*)
  die "unknown style $style"
  ;;
esac
echo "consumer $style: passed"
