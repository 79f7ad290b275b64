"""docs/benchmarks.md is the standing results, short enough to read (the history lives in
experiments/), and the pages it sends a reader to exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links(page: Path) -> list[Path]:
    found = LINK.findall(page.read_text(encoding="utf-8"))
    return [(page.parent / target).resolve() for target in found if "://" not in target]


def test_the_benchmarks_page_holds_300_lines_at_most():
    lines = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300


def test_the_pages_the_benchmarks_send_a_reader_to_exist():
    pages = [
        ROOT / "docs" / "benchmarks.md",
        ROOT / "docs" / "published-results.md",
        ROOT / "experiments" / "README.md",
        ROOT / "experiments" / "cube3" / "README.md",
    ]
    for page in pages:
        missing = [str(p.relative_to(ROOT)) for p in _links(page) if not p.exists()]
        assert missing == [], page.name
