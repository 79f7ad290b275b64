"""Imports flow one way (docs: STYLE): domains -> heuristics -> networks / search -> training,
and none of these imports the public API or the command line that compose them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import qsolve

PACKAGE = Path(qsolve.__file__).parent
# Small modules of plain values any part may import: errors, option ranges, paths, threads, the
# machine's name.
NEUTRAL = {"errors", "machine", "options", "paths", "threads"}
ALLOWED = {
    "domains": {"domains"},
    "heuristics": {"domains", "heuristics"},
    "networks": {"domains", "heuristics", "networks"},
    "search": {"domains", "heuristics", "search"},
    "training": {"domains", "heuristics", "networks", "search", "training"},
}


def qsolve_imports(path: Path) -> set[str]:
    """The qsolve modules (first name under ``qsolve``) that ``path`` imports anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "qsolve":
                found.add(parts[1] if len(parts) > 1 else "qsolve")
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_each_stage_imports_only_the_stages_before_it(stage):
    wrong = {}
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        extra = qsolve_imports(path) - ALLOWED[stage] - NEUTRAL
        if extra:
            wrong[str(path.relative_to(PACKAGE))] = sorted(extra)
    assert wrong == {}
