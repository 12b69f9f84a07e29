#!/usr/bin/env python3
"""Prints the engine's module graph (top-level modules of engine/src) from its `crate::` paths, and its loops.

Usage: scripts/module-graph.py [engine/src]   (exit 1 when the graph has a loop)

Every `crate::NAME` in code (not in comments), including the names inside `use crate::{a, b::c}` groups, is an
edge from the file's top-level module to NAME; edges inside one module are left out, and so is everything
from a file's `#[cfg(test)]` on (its unit tests). `crate::Error`, `crate::Entry`... (the root re-exports)
count as edges to the module they come from.
"""
import os, re, sys

src = sys.argv[1] if len(sys.argv) > 1 else "engine/src"
mods = set()
for f in os.listdir(src):
    if f.endswith(".rs") and f != "lib.rs":
        mods.add(f[:-3])
    elif os.path.isdir(os.path.join(src, f)):
        mods.add(f)

def strip_comments(text):
    return "\n".join(re.sub(r"//.*", "", l) for l in text.splitlines())

def group_names(s):
    """Top-level names inside a brace group `{a, b::{c}, d}` (s starts after the opening brace)."""
    names, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            names.append(cur); cur = ""; continue
        if depth == 0 and ch not in "{}":
            cur += ch
    names.append(cur)
    return [n.strip().split("::")[0].strip() for n in names if n.strip()]

# The root re-exports of lib.rs, and where they come from.
REEXPORTS = {}
for m in re.finditer(r"pub use ([a-z_]+)::\{?([A-Za-z_, ]+)\}?;", open(os.path.join(src, "lib.rs")).read()):
    for name in m.group(2).split(","):
        REEXPORTS[name.strip()] = m.group(1)

edges = {}
for dirpath, _, files in os.walk(src):
    for f in files:
        if not f.endswith(".rs"):
            continue
        p = os.path.join(dirpath, f)
        rel = os.path.relpath(p, src)
        top = rel.split(os.sep)[0]
        top = top[:-3] if top.endswith(".rs") else top
        if top == "lib":
            continue
        text = open(p).read()
        # Unit tests (a `#[cfg(test)]` module at the end of the file) are not part of the library's graph.
        text = strip_comments(text.split("#[cfg(test)]")[0])
        targets = set(re.findall(r"crate::([A-Za-z_]+)", text))
        for m in re.finditer(r"crate::\{", text):
            targets.update(group_names(text[m.end():]))
        targets = {REEXPORTS.get(t, t) for t in targets}
        for t in targets:
            if t in mods and t != top:
                edges.setdefault(top, set()).add(t)

for m in sorted(mods):
    print(f"{m:10} -> {', '.join(sorted(edges.get(m, ())))}")

# Loops: strongly connected components of more than one module (Tarjan).
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
for m in sorted(mods):
    if m not in index:
        visit(m)
if sccs:
    for c in sccs:
        print("loop:", " <-> ".join(c))
    sys.exit(1)
print("no loops")
