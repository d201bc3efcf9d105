#!/usr/bin/env python3
"""Fails when a Swift module imports a module docs/DESIGN.md's `module-graph` block does not allow.

Every `Sources/<Module>/**/*.swift` file's imports must be in its module's line of the block (system
modules such as Foundation and Glibc are always allowed). `make test` runs it.
Usage: tools/check_module_graph.py [repository root]
"""
import os
import re
import sys

SYSTEM = {"Foundation", "Glibc", "Dispatch", "Synchronization", "Darwin"}


def documented_graph(design):
    block = re.search(r"```module-graph\n(.*?)```", open(design, encoding="utf-8").read(), re.S)
    if not block:
        sys.exit(f"{design}: no ```module-graph block")
    graph = {}
    for number, line in enumerate(block.group(1).splitlines(), 1):
        if not line.strip():
            continue
        module, _, allowed = line.partition(":")
        graph[module.strip()] = set(allowed.split())
    return graph


def self_test():
    """The check must fail on an import against the graph and pass without it."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "docs"))
        with open(os.path.join(tmp, "docs", "DESIGN.md"), "w") as f:
            f.write("```module-graph\nJob: Datasets\nReduce: Job\nDatasets:\n```\n")
        for module, text in [("Datasets", "import Foundation\n"), ("Job", "import Datasets\n"), ("Reduce", "import Job\n")]:
            os.makedirs(os.path.join(tmp, "Sources", module))
            with open(os.path.join(tmp, "Sources", module, "A.swift"), "w") as f:
                f.write(text)
        run = lambda: subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        assert run().returncode == 0, "a tree that follows the graph must pass"
        with open(os.path.join(tmp, "Sources", "Reduce", "B.swift"), "w") as f:
            f.write("@preconcurrency import Cluster\n")
        bad = run()
        assert bad.returncode == 1 and "Sources/Reduce/B.swift:1: Reduce imports Cluster" in bad.stdout, bad.stdout
    print("module graph self-test: a forbidden import is caught")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    design = os.path.join(root, "docs", "DESIGN.md")
    graph = documented_graph(design)
    sources = os.path.join(root, "Sources")
    problems = []
    for module in sorted(os.listdir(sources)):
        folder = os.path.join(sources, module)
        swift = [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(".swift")]
        if not swift:
            continue  # a C module
        if module not in graph:
            problems.append(f"Sources/{module}: the module is not in {design}'s module-graph block; add its line")
            continue
        for path in sorted(swift):
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                m = re.match(r"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|func|var|protocol)\s+)?([A-Za-z0-9_]+)", line)
                if not m:
                    continue
                target = m.group(1)
                if target in SYSTEM or target == module or target in graph[module]:
                    continue
                rel = os.path.relpath(path, root)
                problems.append(f"{rel}:{number}: {module} imports {target}, which docs/DESIGN.md does not allow "
                                f"({module}: {' '.join(sorted(graph[module]))})")
    for p in problems:
        print(p)
    if problems:
        print(f"module graph: {len(problems)} import(s) against docs/DESIGN.md; fix the import or, if the design "
              "changed, the module-graph block", file=sys.stderr)
        return 1
    print(f"module graph: {len(graph)} modules, every import as docs/DESIGN.md documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
