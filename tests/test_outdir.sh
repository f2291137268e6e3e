#!/usr/bin/env bash
# bitgen generate's output directory (issue 10, section 3): a DIR holding
# files bitgen did not write is refused (--force adds the package beside
# them, never overwriting one); -o / . .. and a spec named ...lua are
# refused; a failure or a concurrent run leaves DIR exactly as it was and no
# temporary directory behind; stale files are removed only while unedited;
# unchanged files keep inode and mtime; output is reproducible.
# "Exactly as it was" is a listing of every entry's SHA-256 (files), target
# (symlinks), inode, mode and mtime, compared before and after.
# usage: test_outdir.sh BITGEN SOURCE_ROOT [readonly]
#   readonly: only the read-only cases (exit 77 if this host cannot make a
#   directory read-only for this user: root ignores modes, chattr missing)
set -u
bitgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
group=${3:-main}
work=$(mktemp -d)
# a case may leave an append-only directory: clear it before removing
trap 'chattr -R -a "$work" >/dev/null 2>&1; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
spec=$root/specs/bitnet-b1.58-2b-4t.lua
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

# listing of a tree: hashes of files, symlink targets, and inode/mode/mtime of every entry
snap() {
  (cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort
    find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
    find . -printf '%p %i %m %T@\n' | LC_ALL=C sort)
}
# no temporary directory or lock file beside DIR
no_leftovers() { ! ls -A "$1" | grep -q 'bitgen-\(tmp\|old\|lock\)'; }
# runs bitgen (stdout+stderr in $work/log); returns its status
run() { "$bitgen" "$@" >"$work/log" 2>&1; }
# a case that must fail: DIR identical before/after, nothing left beside it
refused() { # description, DIR, expected message (grep pattern), bitgen args...
  local what=$1 dir=$2 want=$3
  shift 3
  local before after
  before=$(snap "$dir")
  run "$@"
  local rc=$?
  after=$(snap "$dir")
  check '[ $rc -eq 1 ]' "$what: exit 1 (got $rc): $(head -3 "$work/log")"
  check 'grep -q -- "$want" "$work/log"' "$what: message /$want/, got: $(head -3 "$work/log")"
  check '[ "$before" = "$after" ]' "$what: DIR changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
  check 'no_leftovers "$(dirname "$dir")"' "$what: left $(ls -A "$(dirname "$dir")" | grep bitgen- | head -3)"
}

# reference packages: all ISAs, and --isa avx2
ref=$work/ref
mkdir "$ref"
"$bitgen" generate "$spec" -o "$ref/full" >/dev/null || { echo "FAIL: reference generate"; exit 1; }
"$bitgen" generate "$spec" -o "$ref/avx2" --isa avx2 >/dev/null || { echo "FAIL: reference generate"; exit 1; }
fresh() { rm -rf "$1" && cp -a "$ref/full" "$1"; }

if [ "$group" = readonly ]; then
  tested=0
  t=$work/ro
  mkdir "$t"
  if [ "$(id -u)" -ne 0 ]; then
    fresh "$t/p"
    chmod a-w "$t/p"
    refused "read-only DIR" "$t/p" "cannot write into" generate "$spec" -o "$t/p" --isa avx2
    chmod u+w "$t/p"
    chmod a-w "$t"
    refused "read-only parent" "$t/p" "lock file" generate "$spec" -o "$t/p" --isa avx2
    chmod u+w "$t"
    tested=1
  fi
  # append-only (chattr +a, root on ext2/3/4, xfs, btrfs): DIR's entries
  # cannot be moved out and DIR cannot be renamed, so the exchange fails
  # after the new tree is complete: the rollback path
  fresh "$t/q"
  if chattr +a "$t/q" 2>/dev/null; then
    refused "append-only DIR (exchange fails)" "$t/q" "Operation not permitted" generate "$spec" -o "$t/q" --isa avx2
    chattr -a "$t/q"
    mkdir "$t/q/build" && echo obj >"$t/q/build/o"
    chattr +a "$t/q"
    refused "append-only DIR with a kept subdirectory" "$t/q" "Operation not permitted" \
      generate "$spec" -o "$t/q" --isa avx2
    BITGEN_PORTABLE_RENAME=1 refused "append-only DIR, rename-aside fallback" "$t/q" "Operation not permitted" \
      generate "$spec" -o "$t/q" --isa avx2
    chattr -a "$t/q"
    tested=1
  else
    echo "note: chattr +a not possible here (needs root on ext4/xfs/btrfs)"
  fi
  echo "outdir read-only tests: $pass passed, $fail failed"
  if [ "$tested" -eq 0 ]; then
    echo "SKIP: running as root (modes do not stop root) and chattr +a unavailable"
    exit 77
  fi
  [ "$fail" -eq 0 ]
  exit
fi

# --- DIR with files bitgen did not write ----------------------------------
t=$work/foreign
mkdir -p "$t/d"
echo "mine" >"$t/d/notes.txt"
refused "foreign DIR without --force" "$t/d" "has no bitgen manifest" generate "$spec" -o "$t/d"
echo "/* mine */" >"$t/d/api.c"
refused "--force with a clashing foreign file" "$t/d" "bitgen did not write it" generate "$spec" -o "$t/d" --force
rm "$t/d/api.c"
before=$(snap "$t/d" | grep notes.txt)
check 'run generate "$spec" -o "$t/d" --force' "--force beside a foreign file: $(cat "$work/log")"
check '[ "$before" = "$(snap "$t/d" | grep notes.txt)" ]' "--force: foreign file changed"
check 'diff -r -x notes.txt "$t/d" "$ref/full" >/dev/null' "--force: package differs from the reference"
check 'run generate "$spec" -o "$t/d" --isa avx2' "DIR with a manifest and a foreign file, no --force needed: $(cat "$work/log")"
check '[ "$before" = "$(snap "$t/d" | grep notes.txt)" ] && diff -r -x notes.txt "$t/d" "$ref/avx2" >/dev/null' \
  "foreign file kept through an update"
check '! grep -q notes.txt "$t/d/bitgen.files"' "foreign file listed in the manifest"
mkdir "$t/e"
echo x >"$t/e/f"
echo "rm -rf /" >"$t/e/bitgen.files"
refused "a bitgen.files that is not a manifest" "$t/e" "has no bitgen manifest" generate "$spec" -o "$t/e"
refused "... and with --force, a clash" "$t/e" "bitgen did not write it" generate "$spec" -o "$t/e" --force
check 'run generate "$spec" -o "$t/empty-new"' "new DIR: $(cat "$work/log")"
mkdir "$t/empty"
check 'run generate "$spec" -o "$t/empty"' "empty DIR: $(cat "$work/log")"
check '[ "$(stat -c %a "$t/empty")" = "$(stat -c %a "$ref/full")" ]' "an updated DIR keeps its mode"

# --- names that are not a package directory -------------------------------
t=$work/names
mkdir -p "$t/cwd/sub"
cp "$spec" "$t/cwd/...lua"
cp "$spec" "$t/cwd/..lua"
cp "$spec" "$t/cwd/.lua"
cd "$t/cwd/sub" || exit 1
for d in / . .. ./ "$t/cwd/.." "$t/cwd/sub/." ""; do
  refused "-o '$d'" "$t/cwd" "refusing\|empty" generate "$spec" -o "$d"
done
refused "-o the current directory by another name" "$t/cwd" "current directory" generate "$spec" -o "$t/cwd/sub"
refused "-o a parent of the current directory" "$t/cwd" "current directory" generate "$spec" -o "$t/cwd"
cd "$t/cwd" || exit 1
for s in ...lua ..lua .lua; do
  refused "spec named $s without -o" "$t/cwd" "no usable output directory name" generate "$s"
  check '[ ! -e out ]' "spec $s: out/ created"
done
cd "$work" || exit 1
ln -s "$ref/full" "$t/link"
refused "DIR is a symbolic link" "$ref/full" "symbolic link" generate "$spec" -o "$t/link" --isa avx2
echo data >"$t/file"
refused "DIR is a file" "$t" "not a directory" generate "$spec" -o "$t/file"
refused "missing parent" "$t" "does not exist" generate "$spec" -o "$t/no/such"

# --- failures part-way: DIR untouched, no temporary directory --------------
t=$work/fail
mkdir "$t"
fresh "$t/p"
rm "$t/p/api.c" && mkdir "$t/p/api.c" && echo keep >"$t/p/api.c/x"
refused "a directory where a file should go" "$t/p" "directory where the package has a file" \
  generate "$spec" -o "$t/p"
fresh "$t/p"
echo outside >"$t/outside.c"
rm "$t/p/api.c" && ln -s "$t/outside.c" "$t/p/api.c"
refused "a symlink where a file should go" "$t/p" "symbolic link where the package has a file" \
  generate "$spec" -o "$t/p"
check '[ "$(cat "$t/outside.c")" = outside ]' "symlink target written through"
# a stale name that is a symlink: kept, its target untouched
fresh "$t/s"
stale=i2s_gemv_2560x2560_r8u2__avx512vnni.c
rm "$t/s/$stale" && ln -s "$t/outside.c" "$t/s/$stale"
check 'run generate "$spec" -o "$t/s" --isa avx2' "stale symlink: $(cat "$work/log")"
check '[ -L "$t/s/$stale" ] && [ "$(cat "$t/outside.c")" = outside ]' "stale symlink followed or removed"
# a symlink planted where the lock file goes is never followed
fresh "$t/p"
ln -s "$t/planted" "$t/.p.bitgen-lock"
before=$(snap "$t/p")
run generate "$spec" -o "$t/p" --isa avx2
check '[ $? -eq 1 ] && [ ! -e "$t/planted" ] && [ "$before" = "$(snap "$t/p")" ]' "planted lock symlink followed"
rm "$t/.p.bitgen-lock"
check 'no_leftovers "$t"' "leftovers after the planted lock"

# plain lua5.4 (no C host) refuses generate, writing nothing
if command -v lua5.4 >/dev/null; then
  printf '#!/bin/sh\nexec lua5.4 "%s/gen/bitgen.lua" "$@"\n' "$root" >"$work/plain-bitgen"
  chmod +x "$work/plain-bitgen"
  host_bitgen=$bitgen bitgen=$work/plain-bitgen
  refused "generate under plain lua5.4" "$t" "needs the bitgen executable" generate "$spec" -o "$t/plain"
  bitgen=$host_bitgen
  check '[ ! -e "$t/plain" ]' "plain lua5.4 wrote a package"
fi

# --- concurrent runs ------------------------------------------------------
t=$work/conc
mkdir "$t"
fresh "$t/p"
# a run that finds DIR locked (here by flock(1), as another bitgen holds it) fails and changes nothing
before=$(snap "$t/p")
flock "$t/.p.bitgen-lock" "$bitgen" generate "$spec" -o "$t/p" --isa avx2 >"$work/log" 2>&1
rc=$?
check '[ $rc -eq 1 ] && grep -q "another bitgen run is writing" "$work/log"' "locked DIR: rc $rc, $(cat "$work/log")"
check '[ "$before" = "$(snap "$t/p")" ]' "locked DIR changed"
# three runs at once, several rounds: each succeeds or fails cleanly; DIR
# is always one complete package, never a mix; nothing left behind
locked=0
for round in 1 2 3 4 5; do
  "$bitgen" generate "$spec" -o "$t/p" >"$work/a.log" 2>&1 &
  pa=$!
  "$bitgen" generate "$spec" -o "$t/p" --isa avx2 >"$work/b.log" 2>&1 &
  pb=$!
  "$bitgen" generate "$spec" -o "$t/p" --isa avx2 >"$work/c.log" 2>&1 &
  pc=$!
  wait $pa
  ra=$?
  wait $pb
  rb=$?
  wait $pc
  rcc=$?
  for x in "a $ra" "b $rb" "c $rcc"; do
    who=${x% *} st=${x#* }
    check '[ $st -eq 0 ] || { [ $st -eq 1 ] && grep -q "another bitgen run is writing" "$work/$who.log"; }' \
      "round $round run $who: rc $st: $(cat "$work/$who.log")"
    [ $st -eq 1 ] && locked=$((locked + 1))
  done
  check '[ $ra -eq 0 ] || [ $rb -eq 0 ] || [ $rcc -eq 0 ]' "round $round: no run succeeded"
  check 'diff -r "$t/p" "$ref/full" >/dev/null || diff -r "$t/p" "$ref/avx2" >/dev/null' "round $round: DIR is not one complete package"
  check 'no_leftovers "$t"' "round $round: left $(ls -A "$t")"
done

echo "concurrent runs: $locked of 15 found DIR locked and failed cleanly"

# --- stale files, edits, unchanged files ----------------------------------
nfiles=$(ls -A "$ref/full" | wc -l)
nstale=$(comm -23 <(ls "$ref/full") <(ls "$ref/avx2") | wc -l)
t=$work/upd
mkdir "$t"
fresh "$t/p"
echo "/* my change */" >>"$t/p/$stale"
other=i2s_gemv_640x2560_r8u2__avx512vnni.c
run generate "$spec" -o "$t/p" --isa avx2
check '[ $? -eq 0 ] && grep -q "$((nstale - 1)) stale removed" "$work/log"' "stale removal count: $(cat "$work/log")"
check 'grep -q "$stale is no longer generated but kept: edited" "$work/log"' "no warning for the kept file: $(cat "$work/log")"
check '[ -f "$t/p/$stale" ] && tail -1 "$t/p/$stale" | grep -q "my change"' "edited stale file removed or changed"
check '[ ! -e "$t/p/$other" ]' "unedited stale file kept"
check 'diff -r -x "$stale" -x bitgen.files "$t/p" "$ref/avx2" >/dev/null' "package after stale removal differs"
failed=$(cd "$t/p" && sha256sum -c --quiet bitgen.files 2>/dev/null)
check '[ "$failed" = "$stale: FAILED" ]' "manifest: sha256sum -c should name only the edited file, got: $failed"
run generate "$spec" -o "$t/p" --isa avx2
check '[ $? -eq 0 ] && [ -f "$t/p/$stale" ] && grep -q "kept: edited" "$work/log"' "a second update keeps the edited file"
run generate "$spec" -o "$t/p"
check '[ $? -eq 0 ] && diff -r "$t/p" "$ref/full" >/dev/null && grep -q "$stale was edited after bitgen wrote it; replaced" "$work/log"' \
  "regenerating the edited file: $(cat "$work/log")"
# unchanged files keep inode and mtime; the one changed file is rewritten
# (and a build directory inside DIR, as `meson setup build` makes, moves along)
fresh "$t/m"
mkdir "$t/m/build" && echo obj >"$t/m/build/o"
find "$t/m" -type f -exec touch -d 2001-01-01T00:00:00 {} +
before=$(cd "$t/m" && stat -c '%n %i %Y' * build/* | grep -v '^meson.build ')
sed -i 's/^/ /' "$t/m/meson.build"
run generate "$spec" -o "$t/m"
check '[ $? -eq 0 ] && grep -q "($nfiles files: 1 written, $((nfiles - 1)) unchanged" "$work/log"' "regeneration counts: $(cat "$work/log")"
check '[ "$before" = "$(cd "$t/m" && stat -c "%n %i %Y" * build/* | grep -v "^meson.build ")" ]' \
  "unchanged files or the build directory lost inode or mtime"
check 'cmp -s "$t/m/meson.build" "$ref/full/meson.build"' "changed file not restored"

# --- reproducible; the manifest is sha256sum's format ---------------------
t=$work/repro
mkdir "$t"
"$bitgen" generate "$spec" -o "$t/a" >/dev/null
check 'diff -r "$t/a" "$ref/full" >/dev/null' "same spec, different output"
check '(cd "$t/a" && sha256sum -c --quiet --strict bitgen.files)' "bitgen.files does not check with sha256sum"
n=$(ls -A "$t/a" | wc -l)
check '[ "$(wc -l <"$t/a/bitgen.files")" -eq $((n - 1)) ]' "manifest lists every file but itself"
# the rename-aside fallback (no RENAME_EXCHANGE) gives the same results
export BITGEN_PORTABLE_RENAME=1
fresh "$t/f"
mkdir "$t/f/build" && echo obj >"$t/f/build/o"
check 'run generate "$spec" -o "$t/f" --isa avx2' "fallback update: $(cat "$work/log")"
check 'diff -r -x build "$t/f" "$ref/avx2" >/dev/null && [ "$(cat "$t/f/build/o")" = obj ]' "fallback update result"
check 'run generate "$spec" -o "$t/g"' "fallback new DIR: $(cat "$work/log")"
check 'diff -r "$t/g" "$ref/full" >/dev/null' "fallback new DIR result"
unset BITGEN_PORTABLE_RENAME
check 'no_leftovers "$t"' "leftovers: $(ls -A "$t")"

echo "outdir tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
