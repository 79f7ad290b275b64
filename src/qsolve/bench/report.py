"""Reports of ``qsolve bench``: rich tables on the terminal, and CSV and markdown on disk."""

from __future__ import annotations

import csv
import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qsolve.machine import cpu_name

Row = dict[str, Any]


@dataclass
class Report:
    """Tables of one suite run, kept in order, with where they came from."""

    suite: str
    command: str
    tables: list[tuple[str, list[Row], str]] = field(default_factory=list)  # title, rows, note
    plots: list[Path] = field(default_factory=list)

    def add(self, title: str, rows: list[Row], note: str = "") -> None:
        self.tables.append((title, rows, note))
        _print_table(title, rows, note)


def machine() -> str:
    """The core count and CPU model, as the benchmarks' tables name the machine."""
    return f"{os.cpu_count()} cores, {cpu_name()}"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "-"
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _print_table(title: str, rows: list[Row], note: str) -> None:
    from rich.console import Console
    from rich.table import Table

    if not rows:
        return
    table = Table(title=title, caption=note or None)
    for column in rows[0]:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    Console(width=220).print(table)


def _markdown(rows: list[Row]) -> str:
    if not rows:
        return "(no rows)\n"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(row[c]) for c in header) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_report(report: Report, out: Path) -> Path:
    """CSV per table and one markdown file with every table, the command, machine and date."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        f"# qsolve bench {report.suite}\n",
        f"Command: `{report.command}`  \nMachine: {machine()}  \n"
        f"Date: {datetime.date.today().isoformat()}\n",
    ]
    for i, (title, rows, note) in enumerate(report.tables):
        slug = f"{report.suite}-{i + 1}"
        if rows:
            with open(out / f"{slug}.csv", "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        parts.append(f"## {title}\n\n{note}\n\n{_markdown(rows)}")
    for plot in report.plots:
        parts.append(f"![{plot.stem}]({plot.name})\n")
    path = out / f"{report.suite}.md"
    path.write_text("\n".join(parts))
    return path
