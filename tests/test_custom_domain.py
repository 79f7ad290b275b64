"""docs/custom-domain.md, run as written: a user's domain through check, training and solving."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import qsolve
from qsolve.cli import main
from qsolve.domains import Domain, check_domain, get_domain

DOC = Path(__file__).parent.parent / "docs" / "custom-domain.md"


def pancake_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    [source] = [block for block in blocks if "class Pancake(Domain)" in block]
    return source


def test_the_documented_domain_is_short_and_runs_end_to_end(tmp_path):
    source = pancake_source()
    assert len(source.strip().splitlines()) < 80
    script = tmp_path / "pancake.py"
    script.write_text(source)
    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "model")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "solved: True" in run.stdout
    assert (tmp_path / "model" / "model.safetensors").is_file()


def test_the_command_line_takes_a_domain_class_from_a_file(tmp_path, capsys):
    script = tmp_path / "pancake.py"
    script.write_text(pancake_source())
    spec = f"{script}:Pancake"
    assert main(["check-domain", spec]) == 0
    out = tmp_path / "model"
    options = ["--steps", "30", "--batch-size", "64", "--eval-every", "30", "--quiet"]
    # A worker process rebuilds the domain from the same FILE.py:Class.
    assert main(["train", spec, "--out", str(out), "--workers", "1", *options]) == 0
    capsys.readouterr()
    assert main(["solve", spec, "--state", "1 0 2 3 4 5 6", "--heuristic", str(out), "--json"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"solved": true' in line and '"cost": 1.0' in line
    # Optimal with the zero heuristic: breadth-first order on unit costs.
    assert main(["solve", spec, "--random-walk", "6", "--heuristic", "zero", "--optimal"]) == 0


def test_register_domain_makes_a_name_usable_everywhere():
    namespace: dict = {}
    exec(compile(pancake_source(), "pancake.py", "exec"), namespace)
    qsolve.register_domain("pancake-test", namespace["Pancake"])
    domain = get_domain("pancake-test")
    start = domain.parse_state("6 5 4 3 2 1 0")
    result = qsolve.solve("pancake-test", start, heuristic="zero", optimal=True)[0]
    assert result.solved and result.cost == 1  # one flip of all seven
    with pytest.raises(qsolve.QsolveError, match="name"):
        qsolve.register_domain("a:b", namespace["Pancake"])


class _Broken(Domain):
    name = "broken"
    num_values = 3

    def __init__(self, bug: str) -> None:
        self.bug = bug
        self.action_names = ["a", "b"]
        self.action_costs = np.array([1.0, 0.0 if bug == "cost" else 1.0])
        self.goal = np.zeros(4, dtype=np.uint8)

    def step(self, states, actions):
        out = states.copy()
        out[:, 0] = (out[:, 0] + 1 + actions) % 3
        if self.bug == "dtype":
            return out.astype(np.int64)
        if self.bug == "shape":
            return out[:, :3]
        if self.bug == "one-way":  # b also counts up entry 3, which no action counts down
            out[actions == 1, 3] = (out[actions == 1, 3] + 1) % 3
        return out

    def parse_state(self, text):
        state = np.array([int(c) for c in text], dtype=np.uint8)
        return state[::-1].copy() if self.bug == "text" else state

    def format_state(self, state):
        return "".join(str(int(v)) for v in state)

    def symmetries(self):
        identity = (np.arange(4), np.arange(2))
        if self.bug == "no identity":
            return [(np.array([1, 0, 2, 3]), np.arange(2))]
        if self.bug == "symmetry":  # swapping entries 0 and 1 does not commute with step
            return [identity, (np.array([1, 0, 2, 3]), np.arange(2))]
        if self.bug == "not a permutation":
            return [identity, (np.array([0, 0, 2, 3]), np.arange(2))]
        return [identity, (np.array([0, 2, 1, 3]), np.arange(2))]  # entries 1, 2 never change


@pytest.mark.parametrize(
    "bug, sentence",
    [
        ("cost", "every action cost must be positive"),
        ("shape", "step must return states of the shape it is given"),
        ("one-way", "action a is undone by no single action of the same cost"),
        ("dtype", "step must keep the state dtype"),
        ("text", "parse_state(format_state(s)) must give s back"),
        ("no identity", "the first of symmetries must be the identity"),
        ("symmetry", "symmetry 1 must commute with step"),
        ("not a permutation", "symmetry 1 must be a permutation"),
    ],
)
def test_check_domain_names_the_broken_rule_in_one_sentence(bug, sentence):
    with pytest.raises(qsolve.QsolveError, match=re.escape(sentence)) as error:
        check_domain(_Broken(bug))
    assert "\n" not in str(error.value)


def test_a_domain_with_true_symmetries_passes():
    assert check_domain(_Broken("none")) > 20


@pytest.mark.parametrize("name", ["cube3", "puzzle8", "lightsout5", "sokoban"])
def test_the_shipped_domains_keep_the_contract(name):
    assert check_domain(get_domain(name)) > 50
