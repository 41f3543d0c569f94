#!/usr/bin/env python3
"""Fail on any import cycle inside a package, counting imports placed inside functions.

    python scripts/check_imports.py governance rules models

Builds each package's module graph from every `import` statement (module level and inside
functions), prints the cycles found (strongly connected components of two or more
modules, or a module importing itself) and exits 1 if there is any. Also checks the
layers: rules/ imports neither models/, governance/ nor app/; models/ neither rules/,
governance/ nor app/; governance/ never app/ nor Flask; none of them the task queue
(Celery, kombu, redis: only app/ queues and runs tasks).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "rules": ("models", "governance", "app", "flask", "celery", "kombu", "redis"),
    "models": ("rules", "governance", "app", "flask", "celery", "kombu", "redis"),
    "governance": ("app", "flask", "flask_login", "flask_smorest", "celery", "kombu", "redis"),
}


def modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module name `path` imports, with its line (relative imports resolved)."""
    out = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            out.append((base, node.lineno))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def main(packages: list[str]) -> int:
    failures = 0
    for package in packages:
        mods = modules(package)
        graph: dict[str, set[str]] = {name: set() for name in mods}
        for name, path in mods.items():
            for target, line in imported(name, path):
                if target in mods and target != name:
                    graph[name].add(target)
                elif target == name:
                    graph[name].add(name)
                top = target.split(".")[0]
                if top in FORBIDDEN.get(package, ()):
                    print(f"{path.relative_to(ROOT)}:{line}: {package}/ must not import {top}")
                    failures += 1
        for component in cycles(graph):
            print(f"import cycle in {package}/: {' <-> '.join(component)}")
            failures += 1
        print(f"{package}/: {len(mods)} modules, {sum(map(len, graph.values()))} imports checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["governance", "rules", "models"]))
