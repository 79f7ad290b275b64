"""The dead code the reshaping found (issue 25) stays gone."""

from __future__ import annotations

import importlib


def test_the_dead_code_stays_gone():
    for module, name in (
        ("qsolve.cli_args", "positive"),
        ("qsolve.domains.cube", "QUARTER_TURNS"),
        ("qsolve.render.cube", "rotation"),
    ):
        assert not hasattr(importlib.import_module(module), name), f"{module}.{name}"
