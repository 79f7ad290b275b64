"""training.png and ``qsolve report``: the page of a training run, self-contained."""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from pathlib import Path

import matplotlib.image
import pytest

from qsolve.cli import main
from qsolve.render.report import best_checkpoint, report_html
from qsolve.training.evaluate import plot_metrics

ROOT = Path(__file__).resolve().parents[1]
METRICS = ROOT / "experiments" / "training-runs" / "h200-round-1" / "c3s-metrics.csv"
MODEL = ROOT / "src" / "qsolve" / "models" / "cube3"


def make_run(tmp_path: Path, kept: dict[int, dict[str, float]]) -> Path:
    """A training folder: the shipped cube3 config, a real metrics.csv and kept evaluations."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(MODEL / "config.json", run / "config.json")
    shutil.copy(METRICS, run / "metrics.csv")
    config = json.loads((MODEL / "config.json").read_text())
    for step, rates in kept.items():
        folder = run / "evals" / f"step-{step}"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps({**config, "step": step, "eval": rates}))
    return run


def test_plot_metrics_draws_the_four_panels_from_metrics_csv(tmp_path):
    png = tmp_path / "training.png"
    plot_metrics(METRICS, png)
    image = matplotlib.image.imread(png)
    assert image.shape[:2] == (720, 1080)
    # One row, with an empty solve rate: still a picture.
    rows = list(csv.reader(METRICS.open()))
    rows[1][-1] = ""
    one = tmp_path / "one.csv"
    with one.open("w", newline="") as file:
        csv.writer(file).writerows(rows[:2])
    plot_metrics(one, png)
    assert matplotlib.image.imread(png).shape[:2] == (720, 1080)


def test_report_has_plots_evaluations_config_and_the_best_checkpoint(tmp_path, capsys):
    kept = {
        2500: {"qstar@8": 1.0, "qstar@16": 0.2, "greedy@8": 0.64},
        5000: {"qstar@8": 1.0, "qstar@16": 0.4, "greedy@8": 0.73},
        7500: {"qstar@8": 1.0, "qstar@16": 0.4, "greedy@8": 0.70},
    }
    run = make_run(tmp_path, kept)
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    assert f"report written to {run / 'report.html'}" in capsys.readouterr().out
    # The plot is inline, a PNG that decodes.
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0])[:4] == b"\x89PNG"
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)
    # Every evaluation of metrics.csv is a row of the table.
    with METRICS.open() as file:
        steps = [row["step"] for row in csv.DictReader(file)]
    for step in steps:
        assert f"<td>{int(step):,}</td>" in page
    # The best kept model: 5000 ties 7500 on Q* and wins on greedy.
    best = best_checkpoint(run, [])
    assert best is not None and best["step"] == 5000
    assert "The kept model of step 5,000" in page and "evals/step-5000" in page
    assert "target_update" in page and "Q network" in page


def test_report_of_a_shipped_model_folder_and_of_bad_folders(tmp_path, capsys):
    html = report_html(MODEL)
    assert "No metrics.csv" in html and "kept no evaluation models" in html and "cube3" in html
    out = tmp_path / "page.html"
    assert main(["report", str(MODEL), "--out", str(out)]) == 0 and out.is_file()
    capsys.readouterr()
    for folder in (tmp_path / "missing", tmp_path):
        assert main(["report", str(folder)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("qsolve: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_report_rejects_a_damaged_config(tmp_path, capsys, content):
    (tmp_path / "config.json").write_text(content)
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
