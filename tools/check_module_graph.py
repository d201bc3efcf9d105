#!/usr/bin/env python3
"""Fails when the module graph of the code differs from docs/DESIGN.md's `module-graph` block.

The block is the one source of the graph. For every Swift module under `Sources/`:
- each file's imports must be in the module's line of the block (system modules such as Foundation
  and Glibc are always allowed), and every module on that line must be imported by some file of it;
- Package.swift's dependencies of the target (`swift package dump-package`) must be exactly that line.
`make test` runs it.
Usage: tools/check_module_graph.py [--no-manifest] [repository root]
"""
import json
import os
import re
import subprocess
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
        run = lambda: subprocess.run([sys.executable, __file__, "--no-manifest", tmp], capture_output=True, text=True)
        assert run().returncode == 0, "a tree that follows the graph must pass"
        with open(os.path.join(tmp, "Sources", "Reduce", "B.swift"), "w") as f:
            f.write("@preconcurrency import Cluster\n")
        bad = run()
        assert bad.returncode == 1 and "Sources/Reduce/B.swift:1: Reduce imports Cluster" in bad.stdout, bad.stdout
        os.remove(os.path.join(tmp, "Sources", "Reduce", "B.swift"))
        with open(os.path.join(tmp, "Sources", "Reduce", "A.swift"), "w") as f:
            f.write("import Foundation\n")
        unused = run()
        assert unused.returncode == 1 and "Reduce: the block allows Job, which no file imports" in unused.stdout, unused.stdout
    manifest = {"targets": [{"name": "Job", "type": "regular", "dependencies": [{"byName": ["Datasets", None]}]},
                            {"name": "Reduce", "type": "regular",
                             "dependencies": [{"byName": ["Job", None]}, {"product": ["Logging", "swift-log", None, None]}]}]}
    problems = manifest_problems(manifest, {"Job": {"Datasets"}, "Reduce": {"Job"}, "Datasets": set()})
    assert problems == ["Package.swift: target Reduce depends on Logging, which docs/DESIGN.md's block does not list"], problems
    print("module graph self-test: a forbidden import, an unused entry and an undocumented dependency are caught")


def manifest_problems(manifest, graph):
    """Where Package.swift's target dependencies differ from the block, for the modules the block names."""
    problems = []
    for target in manifest["targets"]:
        name = target["name"]
        if target["type"] not in ("regular", "executable") or name not in graph:
            continue
        declared = {next(iter(d.values()))[0] for d in target["dependencies"]}
        for extra in sorted(declared - graph[name]):
            problems.append(f"Package.swift: target {name} depends on {extra}, which docs/DESIGN.md's block does not list")
        for missing in sorted(graph[name] - declared):
            problems.append(f"Package.swift: target {name} does not depend on {missing}, which docs/DESIGN.md's block lists")
    return problems


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        self_test()
        return 0
    check_manifest = "--no-manifest" not in args
    args = [a for a in args if a != "--no-manifest"]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
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
        imported = set()
        for path in sorted(swift):
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                m = re.match(r"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|func|var|protocol)\s+)?([A-Za-z0-9_]+)", line)
                if not m:
                    continue
                target = m.group(1)
                imported.add(target)
                if target in SYSTEM or target == module or target in graph[module]:
                    continue
                rel = os.path.relpath(path, root)
                problems.append(f"{rel}:{number}: {module} imports {target}, which docs/DESIGN.md does not allow "
                                f"({module}: {' '.join(sorted(graph[module]))})")
        for unused in sorted(graph[module] - imported):
            problems.append(f"Sources/{module}: the block allows {unused}, which no file imports; "
                            "remove it from the block and from Package.swift")
    if check_manifest:
        dump = subprocess.run(["swift", "package", "dump-package"], cwd=root, capture_output=True, text=True)
        if dump.returncode != 0:
            sys.exit(f"swift package dump-package failed:\n{dump.stderr}")
        problems += manifest_problems(json.loads(dump.stdout), graph)
    for p in problems:
        print(p)
    if problems:
        print(f"module graph: {len(problems)} difference(s) from docs/DESIGN.md; fix the code or, if the design "
              "changed, the module-graph block", file=sys.stderr)
        return 1
    print(f"module graph: {len(graph)} modules; every import and Package.swift's dependencies as docs/DESIGN.md documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
