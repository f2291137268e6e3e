#!/usr/bin/env python3
"""Finds the generated bitgen package that bitnet-run is built against.

usage: find_package.py SUBPROJECTS_DIR [NAME]
Prints "DIRECTORY PREFIX" for the package under SUBPROJECTS_DIR: a directory
holding bitgen's manifest (bitgen.files) and a meson.build whose project is
the package prefix (bitgen_<model>).  NAME (the meson option 'package')
selects one by prefix or directory; without it there must be exactly one.
The package must have a model runtime (generated from a model spec).
Errors go to stderr with exit status 1; meson prints them."""
import os
import re
import sys


def packages(root):
    found = []
    if not os.path.isdir(root):
        return found
    for d in sorted(os.listdir(root)):
        build = os.path.join(root, d, "meson.build")
        if not os.path.isfile(os.path.join(root, d, "bitgen.files")) or not os.path.isfile(build):
            continue
        with open(build, encoding="utf-8") as f:
            m = re.search(r"^project\('([A-Za-z0-9_]+)'", f.read(), re.M)
        if m:
            found.append((d, m.group(1)))
    return found


def main():
    root = sys.argv[1]
    want = sys.argv[2] if len(sys.argv) > 2 else ""
    found = packages(root)
    how = ("bitgen spec-from-gguf MODEL.gguf -o model.lua && "
           "bitgen generate model.lua -o " + os.path.join(root, "model"))
    if want:
        found = [p for p in found if want in p]
        if not found:
            sys.exit(f"bitnet-run: no generated package '{want}' under {root} (make one: {how})")
    if not found:
        sys.exit(f"bitnet-run: no generated package under {root} (make one: {how})")
    if len(found) > 1:
        names = ", ".join(f"{p} ({d}/)" for d, p in found)
        sys.exit(f"bitnet-run: several packages under {root}: {names}; choose one with -Dpackage=PREFIX")
    d, prefix = found[0]
    header = os.path.join(root, d, prefix + ".h")
    with open(header, encoding="utf-8") as f:
        if prefix + "_ctx_create(" not in f.read():
            sys.exit(f"bitnet-run: {header} has no model runtime ({prefix}_ctx_create): generate the package "
                     "from a model spec (bitgen spec-from-gguf); the header says why it has none")
    print(d, prefix)


if __name__ == "__main__":
    main()
