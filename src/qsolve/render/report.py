"""``qsolve report``: one self-contained HTML page about a training run.

The page holds the training plots (training.png redrawn from metrics.csv, inline as base64 PNG),
the run's configuration from config.json, the table of evaluations from metrics.csv, and the best
of the models kept in ``evals/step-N`` (``qsolve train --keep-evals``).
"""

from __future__ import annotations

import base64
import csv
import json
import math
import re
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from qsolve.errors import QsolveError

STEP_DIR = re.compile(r"step-(\d+)$")


def _read_config(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise QsolveError(f"cannot read {path}: {error}") from None
    if not isinstance(config, dict):
        raise QsolveError(f"{path} does not hold a JSON object")
    return config


def _read_metrics(path: Path) -> list[dict[str, float]]:
    if not path.is_file():
        return []
    try:
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))
        return [{k: float(v) if v else math.nan for k, v in r.items()} for r in rows]
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        raise QsolveError(f"cannot read {path}: {error}") from None


def _score(rates: dict[str, Any]) -> tuple[float, float]:
    """Mean Q* solve rate, then mean greedy solve rate, over the evaluation depths."""

    def mean(kind: str) -> float:
        values = [float(v) for k, v in rates.items() if k.startswith(kind + "@")]
        values = [v for v in values if not math.isnan(v)]
        return sum(values) / len(values) if values else math.nan

    return mean("qstar"), mean("greedy")


def best_checkpoint(run: Path, metrics: list[dict[str, float]]) -> dict[str, Any] | None:
    """The kept evaluation model with the highest mean Q* solve rate (then greedy; the earliest
    step on a tie), from ``run/evals/step-N``; None when the run kept none."""
    folders = sorted(
        (int(m.group(1)), p)
        for p in (run / "evals").glob("step-*")
        if p.is_dir() and (m := STEP_DIR.search(p.name))
    )
    by_step = {int(r["step"]): r for r in metrics if not math.isnan(r.get("step", math.nan))}
    best: dict[str, Any] | None = None
    for step, folder in folders:
        config = _read_config(folder / "config.json") or {}
        rates = config.get("eval") or {k: v for k, v in by_step.get(step, {}).items() if "@" in k}
        if not rates:
            continue
        score = _score(rates)
        if best is None or score > best["score"]:
            best = {"step": step, "folder": folder, "score": score, "rates": rates}
    return best


def _plot(run: Path, metrics_csv: Path) -> str | None:
    """training.png of the run as a base64 string: redrawn from metrics.csv, else the saved one."""
    if metrics_csv.is_file():
        from qsolve.training.evaluate import plot_metrics

        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp) / "training.png"
            plot_metrics(metrics_csv, png)
            if png.is_file():
                return base64.b64encode(png.read_bytes()).decode()
    saved = run / "training.png"
    if saved.is_file():
        return base64.b64encode(saved.read_bytes()).decode()
    return None


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value))
    return escape(str(value))


def _table(headers: list[str] | None, rows: list[list[Any]], marked: int | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers or [])
    thead = f"<thead><tr>{head}</tr></thead>" if headers else ""
    body = []
    for i, row in enumerate(rows):
        attr = ' class="best"' if i == marked else ""
        body.append(f"<tr{attr}>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>")
    return f'<div class="wide"><table>{thead}<tbody>{"".join(body)}</tbody></table></div>'


_STYLE = """
body { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: .85em; }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: right; }
th { background: #f0f0f0; }
tr.best { background: #e3f4e3; font-weight: bold; }
img { max-width: 100%; }
.wide { overflow-x: auto; }
.note { color: #666; font-size: .9em; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .8em; }
"""


def report_html(run: Path) -> str:
    """The report page of the training folder ``run``."""
    if not run.is_dir():
        raise QsolveError(f"no such training folder: {run}")
    config = _read_config(run / "config.json")
    metrics_csv = run / "metrics.csv"
    metrics = _read_metrics(metrics_csv)
    if config is None and not metrics_csv.is_file():
        raise QsolveError(f"{run} is not a training folder: it has no config.json or metrics.csv")
    parts = [f"<h1>Training run {escape(run.resolve().name)}</h1>"]

    if config is not None:
        summary = [
            ["domain", config.get("domain", "")],
            ["kind", {"q": "Q network", "v": "V network"}.get(str(config.get("kind")), "")],
            ["steps trained", config.get("step", "")],
            ["training seconds", config.get("train_seconds", "")],
        ]
        parts.append(_table(None, [r for r in summary if r[1] != ""]))

    parts.append("<h2>Training at a glance</h2>")
    plot = _plot(run, metrics_csv)
    if plot is None:
        parts.append('<p class="note">No metrics.csv or training.png in this folder.</p>')
    else:
        parts.append(f'<img alt="training plots" src="data:image/png;base64,{plot}">')

    parts.append("<h2>Evaluations</h2>")
    best = best_checkpoint(run, metrics)
    if metrics:
        headers = list(metrics[0])
        scores = [_score(r) for r in metrics]
        top = max(range(len(metrics)), key=lambda i: (scores[i], -i))
        rows = [[r.get(h, math.nan) for h in headers] for r in metrics]
        parts.append(
            '<p class="note">Solve rates on held-out random walks by depth: <code>greedy@D</code> '
            "follows argmin Q, <code>qstar@D</code> runs Q* within a small node budget. The "
            "highlighted row has the highest mean Q* solve rate.</p>"
        )
        parts.append(_table(headers, rows, marked=top))
    else:
        parts.append('<p class="note">No metrics.csv in this folder.</p>')

    parts.append("<h2>Best checkpoint</h2>")
    if best is not None:
        q, g = best["score"]
        parts.append(
            f"<p>The kept model of step {best['step']:,}, <code>{escape(str(best['folder']))}</code>"
            f" (use it with <code>--heuristic</code>): mean Q* solve rate {q:.3f}, mean greedy "
            f"solve rate {g:.3f} over the evaluation depths.</p>"
        )
        rates = best["rates"]
        parts.append(_table(list(rates), [[float(v) for v in rates.values()]]))
    else:
        parts.append(
            '<p class="note">This run kept no evaluation models (<code>evals/step-N</code>: train '
            "with <code>--keep-evals</code>); its model is the last one saved, in this folder.</p>"
        )

    if config is not None:
        parts.append("<h2>Configuration</h2>")
        options = config.get("options")
        if isinstance(options, dict):
            parts.append(_table(["option", "value"], [[k, v] for k, v in options.items()]))
        architecture = config.get("architecture")
        if isinstance(architecture, dict):
            parts.append("<h2>Network</h2>")
            parts.append(_table(list(architecture), [list(architecture.values())]))
        parts.append("<details><summary>config.json</summary><pre>")
        parts.append(escape(json.dumps(config, indent=2)))
        parts.append("</pre></details>")

    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        '<link rel="icon" href="data:,">\n'
        f"<title>qsolve training run {escape(run.resolve().name)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_report(run: Path, out: Path) -> None:
    """Write the report page of the training folder ``run`` to ``out``."""
    text = report_html(run)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise QsolveError(f"cannot write {out}: {error.strerror or error}") from None
