"""The machine is named by one function (``qsolve.machine.cpu_name``), without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qsolve.bench.report import machine
from qsolve.machine import cpu_name

ROOT = Path(__file__).resolve().parents[1]


def test_one_definition_names_the_cpu():
    defined = [
        path.relative_to(ROOT).as_posix()
        for folder in ("src", "benchmarks", "experiments")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "def cpu_name(" in path.read_text(encoding="utf-8")
    ]
    assert defined == ["src/qsolve/machine.py"]
    assert machine() == f"{os.cpu_count()} cores, {cpu_name()}"


def test_the_engine_cache_keys_the_same_cpu_name():
    from qsolve.networks import engines

    assert engines.machine_key().startswith(f"{cpu_name()}|{os.cpu_count()} cores|")


def test_naming_the_machine_does_not_import_torch():
    code = "import sys, qsolve.bench.report; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
