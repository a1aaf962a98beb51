#!/usr/bin/env python3
"""Lists the import cycles between the modules of each crate of the workspace.

A module is a file (`src/a.rs` and `src/a/mod.rs` are `a`, `src/a/b.rs` is `a::b`; `lib.rs`
and `main.rs` are the crate root). Module A imports module B when A's file names a path
`crate::b::...` (or, at the top level of the file, `super::b::...`); the path is resolved to
the longest module it starts with. A module naming its own ancestor or descendant is not
counted: a parent declares and re-exports its children, and children use what the parent
defines. Every other pair that reaches each other, directly or not, is a cycle.

Usage: python3 scripts/module_cycles.py [ROOT]   (exit status 1 when there is a cycle)
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\bcrate((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
# `use crate::{a::x, b::y}` and `crate::{a, b}` name several modules at once.
GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)
TOP_SUPER = re.compile(r"^use super((?:::[A-Za-z_][A-Za-z0-9_]*)+)", re.M)


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def resolve(path: tuple, modules: set) -> tuple:
    for length in range(len(path), 0, -1):
        if path[:length] in modules:
            return path[:length]
    return ()


def crate_edges(src: Path) -> dict:
    files = {module_of(src, f): f for f in src.rglob("*.rs")}
    modules = set(files)
    edges = {module: set() for module in modules}
    for module, file in files.items():
        text = file.read_text(encoding="utf-8", errors="replace")
        named = [tuple(m.group(1).split("::")[1:]) for m in PATH.finditer(text)]
        for group in GROUP.finditer(text):
            for item in group.group(1).split(","):
                item = item.strip().split(" as ")[0].strip()
                if item and item != "self":
                    named.append(tuple(p for p in item.split("::") if p and p != "{"))
        if file.name not in ("mod.rs", "lib.rs", "main.rs") and module:
            parent = module[:-1]
            named += [parent + tuple(m.group(1).split("::")[1:]) for m in TOP_SUPER.finditer(text)]
        for path in named:
            target = resolve(path, modules)
            if target == module or target == () and module == ():
                continue
            related = target[: len(module)] == module or module[: len(target)] == target
            if not related:
                edges[module].add(target)
    return edges


def cycles(edges: dict) -> list:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    sources = sorted(p / "src" for p in (root / "crates").iterdir() if (p / "src").is_dir())
    if (root / "python" / "src").is_dir():
        sources.append(root / "python" / "src")
    total = 0
    for src in sources:
        crate = src.parent.name
        for component in cycles(crate_edges(src)):
            total += 1
            names = ", ".join("::".join(m) or "(root)" for m in component)
            print(f"{crate}: {names}")
    print(f"{total} cycle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
