"""What the distributions ship: every file of every shipped model is package data.

Building the wheel and measuring it against PyPI's file limit takes a build (about 20 s):
``benchmarks/wheel_size.py``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "qsolve"


@pytest.fixture(scope="module")
def package_data() -> set[Path]:
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not run from a checkout: no pyproject.toml")
    patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]["qsolve"]
    return {path for pattern in patterns for path in PACKAGE.glob(pattern)}


def test_every_shipped_model_file_is_package_data(package_data):
    folders = sorted(p for p in (PACKAGE / "models").iterdir() if p.is_dir())
    assert folders, "no shipped models found"
    for folder in folders:
        assert (folder / "config.json").is_file(), folder.name
        assert (folder / "model.safetensors").is_file(), folder.name
        left_out = [p.name for p in folder.iterdir() if p.is_file() and p not in package_data]
        assert left_out == [], f"{folder.name}: not in pyproject's package-data"
