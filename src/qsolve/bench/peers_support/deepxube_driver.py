"""Drive DeepXube 0.3.2 for the peers benchmark; runs in DeepXube's environment, never in qsolve's.

    $VENV/bin/python deepxube_driver.py '{"domain": "cube3", ...}'
    echo '{...}' | $VENV/bin/python deepxube_driver.py

$VENV is ``qsolve.bench.peers.deepxube_venv()`` ($QSOLVE_DEEPXUBE_VENV, else deepxube/ in qsolve's
cache folder).  This file ships inside the qsolve package but imports nothing of qsolve.

Reads one JSON job (argument or stdin) and prints one JSON line on stdout; DeepXube's own
prints go to stderr.  States come and go in qsolve's format and are converted here:

- cube3: 54 facelet colours, Kociemba order U1..U9 R1..R9 F1..F9 D1..D9 L1..L9 B1..B9, colour c =
  the face "URFDLB"[c].  DeepXube stores faces in the order U D L R B F (colour = that face index)
  and each face's 3x3 grid column-major with the rows reversed: qsolve facelet (face f, row r,
  col c) is DeepXube index 9 * "UDLRBF".index(f) + 3 * c + (2 - r).  Moves: qsolve X is DeepXube
  X1 and X' is X-1 (checked by replaying random sequences in both, see ``replay``).
- puzzle15: identical (16 tiles row-major, 0 = blank, goal 1..15 0; U D L R move the tile below /
  above / right of / left of the blank into it, which is DeepXube's action 0..3).  DeepXube's
  npuzzle cannot feed a Q network as shipped, so it runs as ``npuzzle_q`` (``NPuzzleQ`` below).
  Its inapplicable moves are self-loops of cost 1 that Q* pops and counts as generated nodes.

Jobs (every key but ``domain`` and ``mode`` has a default):

- train: ``hidden``, ``blocks`` (resnet_fc width and residual blocks), ``seconds`` (wall-clock
  budget, checked between DeepXube updates), ``batch_size`` (examples per gradient step),
  ``up_itrs`` (gradient steps per update: DeepXube regenerates data and the target network
  every update), ``step_max`` (longest random walk), ``out`` (directory), ``threads``.
  Returns examples (trained (state, action) pairs), seconds, examples_per_s, checkpoint.
- search: ``states``, ``heuristic`` ("zero" or a checkpoint from train, with the same ``hidden``
  and ``blocks``), ``batch_size`` (pairs popped per iteration), ``weight`` (in [0, 1]: priority
  weight * g + Q), ``seconds`` and ``max_nodes`` (per-instance limits), ``stop`` ("deepxube":
  its own rule, search on after the first goal until the best open priority reaches weight * the
  best goal cost; "first_goal": stop once a goal is generated), ``lockstep`` (all instances in one
  search, as DeepXube's trainer does; seconds are then for the whole set).  Returns per instance
  solved, cost, nodes_generated, iterations, seconds, moves (qsolve names); and, over the timed
  searches, network_seconds and network_states: the time in DeepXube's network pass
  (``nnet_batched``: its input to torch, the forward pass with its one-hot layer, the output
  back to numpy) and the states it evaluated.
- replay: ``states`` and ``moves`` (lists of qsolve move names): the states DeepXube reaches,
  in qsolve's format, to check the conversion against qsolve's own domain.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from deepxube.base.nnet_input import HasFlatSGActsEnumFixedIn
from deepxube.domains.npuzzle import GridParser, NPuzzle
from deepxube.factories.domain_factory import domain_factory
from deepxube.factories.nnet_input_factory import register_nnet_input

QSOLVE_FACES = "URFDLB"
DEEPXUBE_FACES = "UDLRBF"
# DeepXube facelet index of each qsolve facelet: dx_state[CUBE_FACELETS] = colours in qsolve's order.
CUBE_FACELETS = np.array(
    [
        9 * DEEPXUBE_FACES.index(f) + 3 * (i % 3) + (2 - i // 3)
        for f in QSOLVE_FACES
        for i in range(9)
    ]
)
CUBE_COLOURS = np.array(
    [DEEPXUBE_FACES.index(f) for f in QSOLVE_FACES]
)  # qsolve colour -> DeepXube
CUBE_COLOURS_BACK = np.argsort(CUBE_COLOURS)
PUZZLE_MOVES = ["U", "D", "L", "R"]
DEFAULT_STEP_MAX = {"cube3": 30, "puzzle15": 500}  # as qsolve's DEFAULT_SCRAMBLE


class NPuzzleQ(NPuzzle, HasFlatSGActsEnumFixedIn):
    """DeepXube's npuzzle plus the one method its Q network with a fixed output per action needs.

    DeepXube 0.3.2's npuzzle offers only a state input (V networks); cube3 offers this mixin.
    Action i is output i, as in cube3.  Defined at module level so that DeepXube's spawned
    workers, which re-import this file, find it.
    """

    def actions_to_indices(self, actions: list[Any]) -> list[int]:
        return [int(a.action) for a in actions]


domain_factory.register_class("npuzzle_q")(NPuzzleQ)
domain_factory.register_parser("npuzzle_q")(GridParser)
for _name, _input in NPuzzleQ.get_dynamic_nnet_inputs().items():
    register_nnet_input("npuzzle_q", _name)(_input)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """DeepXube prints progress on stdout; keep stdout for the one JSON line of the result."""
    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved


def set_threads(threads: int) -> None:
    """Pin the torch threads of this process, also where DeepXube's get_device would set 8."""
    import torch
    from deepxube.nnet import nnet_utils

    torch.set_num_threads(threads)
    original = nnet_utils.get_device

    def get_device() -> Any:
        result = original()
        torch.set_num_threads(threads)
        return result

    nnet_utils.get_device = get_device


class Converter:
    """qsolve state rows <-> DeepXube State/Goal objects, and move names <-> DeepXube actions."""

    def __init__(self, domain_name: str) -> None:
        from deepxube.utils.command_line_utils import get_domain_from_arg

        if domain_name not in DEFAULT_STEP_MAX:
            raise SystemExit(f"domain must be cube3 or puzzle15, not {domain_name!r}")
        self.name = domain_name
        self.dx_name = "cube3" if domain_name == "cube3" else "npuzzle_q.4"
        self.domain, self.registered = get_domain_from_arg(self.dx_name)
        if domain_name == "cube3":
            # DeepXube's "U1" is qsolve's clockwise "U", its "U-1" qsolve's "U'".
            atomic = self.domain.atomic_actions
            self.move_index = {
                n[0] + ("'" if n.endswith("-1") else ""): i for i, n in enumerate(atomic)
            }
        else:
            self.move_index = {name: i for i, name in enumerate(PUZZLE_MOVES)}
        self.move_names = {i: name for name, i in self.move_index.items()}

    def to_dx(self, rows: list[list[int]]) -> tuple[list[Any], list[Any]]:
        """Start states [N] and goals [N] for qsolve state rows."""
        if self.name == "cube3":
            from deepxube.domains.cube3 import Cube3Goal, Cube3State

            states = []
            for row in rows:
                colours = np.zeros(54, dtype=np.uint8)
                colours[CUBE_FACELETS] = CUBE_COLOURS[np.asarray(row, dtype=np.int64)]
                states.append(Cube3State(colours))
            goals = [Cube3Goal(self.domain.goal_colors.copy()) for _ in rows]
        else:
            from deepxube.domains.npuzzle import NPGoal, NPState

            states = [NPState(np.asarray(row, dtype=np.uint8)) for row in rows]
            goals = [NPGoal(self.domain.goal_tiles.copy()) for _ in rows]
        return states, goals

    def from_dx(self, state: Any) -> list[int]:
        if self.name == "cube3":
            return CUBE_COLOURS_BACK[state.colors[CUBE_FACELETS]].tolist()
        return [int(t) for t in state.tiles]

    def action(self, name: str) -> Any:
        from deepxube.domains.cube3 import Cube3Action
        from deepxube.domains.npuzzle import NPAction

        cls = Cube3Action if self.name == "cube3" else NPAction
        return cls(self.move_index[name])

    def move_name(self, action: Any) -> str:
        return self.move_names[int(action.action)]


def heuristic_arg(job: dict[str, Any]) -> str:
    return f"resnet_fc.{int(job.get('hidden', 1000))}H_{int(job.get('blocks', 4))}B"


# -- train ----------------------------------------------------------------------------------


def train(job: dict[str, Any]) -> dict[str, Any]:
    """DeepXube's own Q-learning loop (deepxube train --heur_type QFix --pathfind graph_q), stopped
    at the first update boundary after ``seconds``."""
    from deepxube.base.trainer import TrainArgs
    from deepxube.base.updater import UpArgs
    from deepxube.factories.updater_factory import get_updater
    from deepxube.trainers.utils import train_loop
    from deepxube.utils.command_line_utils import get_heur_nnet_par_from_arg

    conv = Converter(job["domain"])
    seconds = float(job.get("seconds", 60))
    batch_size = int(job.get("batch_size", 1000))
    up_itrs = int(job.get("up_itrs", 100))
    out = job.get("out") or tempfile.mkdtemp(prefix=f"deepxube-{conv.name}-")
    os.makedirs(out, exist_ok=True)
    if os.path.exists(os.path.join(out, "heur_status.pkl")):
        raise SystemExit(f"{out} holds an earlier DeepXube run; give a fresh 'out' directory")
    # DeepXube draws from the global generators (np.random.choice, random.randrange).
    np.random.seed(int(job.get("seed", 0)))  # noqa: NPY002
    random.seed(int(job.get("seed", 0)))

    up_args = UpArgs(
        procs=int(job.get("procs", 1)),
        up_itrs=up_itrs,
        step_max=int(job.get("step_max", DEFAULT_STEP_MAX[conv.name])),
        search_itrs=int(job.get("search_itrs", 1)),
        up_batch_size=int(job.get("up_batch_size", 100)),
        nnet_batch_size=int(job.get("up_nnet_batch_size", 20000)),
    )
    # The CLI's defaults except max_itrs (the wall clock decides) and display (off).
    train_args = TrainArgs(batch_size, max_itrs=10**12, balance_steps=False, display=0)
    heur_par = get_heur_nnet_par_from_arg(conv.domain, conv.registered, heuristic_arg(job), "QFix")[
        0
    ]
    updater = get_updater(conv.domain, "graph_q.1B", up_args, False, "heur")

    # DeepXube's loop reads the iteration count once per update: answer "done" once the budget
    # is spent, so its own code runs every step and the budget is checked between updates.
    original = train_loop.get_curr_itr
    clock: dict[str, float] = {}

    def get_curr_itr(*trainers: Any) -> int:
        clock.setdefault("start", time.perf_counter())
        clock["end"] = time.perf_counter()
        if clock["end"] - clock["start"] >= seconds:
            return train_args.max_itrs
        return original(*trainers)

    train_loop.get_curr_itr = get_curr_itr
    started = time.perf_counter()
    with stdout_to_stderr():
        train_loop.train(
            conv.domain, heur_par, updater, None, None, 10, out, train_args, debug=True
        )
    total = time.perf_counter() - started
    with open(os.path.join(out, "heur_status.pkl"), "rb") as f:
        status = pickle.load(f)
    loop = clock["end"] - clock["start"]
    examples = status.itr * batch_size
    return {
        "examples": examples,  # trained (state, action) pairs: gradient steps x batch size
        "gradient_steps": status.itr,
        "updates": status.update_num,
        "seconds": round(loop, 3),  # from the first update's start to the last update's end
        "seconds_with_setup": round(total, 3),  # plus process start-up and the first net save
        "examples_per_s": round(examples / loop, 1) if loop > 0 else 0.0,
        "checkpoint": os.path.join(out, "heur.pt"),
        "network": heuristic_arg(job),
    }


# -- search ---------------------------------------------------------------------------------


class NetworkClock:
    """Wraps DeepXube's ``nnet_batched`` (every network pass of its heuristic function) to add up
    the seconds it takes and the states it evaluates."""

    def __init__(self) -> None:
        from deepxube.base import heuristic

        self.module = heuristic
        self.inner = heuristic.nnet_batched
        self.seconds = 0.0
        self.states = 0
        heuristic.nnet_batched = self

    def __call__(self, nnet: Any, inputs: list[Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        out = self.inner(nnet, inputs, *args, **kwargs)
        self.seconds += time.perf_counter() - started
        self.states += int(inputs[0].shape[0])
        return out

    def reset(self) -> None:
        self.seconds, self.states = 0.0, 0


def heuristic_fn(conv: Converter, job: dict[str, Any]) -> Any:
    from deepxube._solve import get_heur_fn

    heur = job.get("heuristic", "zero")
    with stdout_to_stderr():
        if heur == "zero":
            return get_heur_fn(conv.domain, conv.registered, None, None, "QFix", None)
        return get_heur_fn(conv.domain, conv.registered, heuristic_arg(job), heur, "QFix", None)


def search(job: dict[str, Any]) -> dict[str, Any]:
    """DeepXube's graph_q (batch weighted Q*) on each start state, as ``deepxube solve`` runs it."""
    from deepxube.base.pathfinding import get_path
    from deepxube.factories.pathfinding_factory import get_pathfind_functions
    from deepxube.pathfinding.utils.performance import is_valid_soln
    from deepxube.utils.command_line_utils import get_pathfind_from_arg

    conv = Converter(job["domain"])
    weight = float(job.get("weight", 1.0))
    if not 0.0 <= weight <= 1.0:
        raise SystemExit("DeepXube's weight lies in [0, 1] (priority = weight * g + Q)")
    pathfind_arg = f"graph_q.{int(job.get('batch_size', 1))}B_{weight}W"
    seconds = float(job.get("seconds", 60))
    max_nodes = job.get("max_nodes")
    first_goal = job.get("stop", "deepxube") == "first_goal"
    functions = get_pathfind_functions("graph_q", heuristic_fn(conv, job), None)
    states, goals = conv.to_dx(job.get("states", []))
    clock = NetworkClock()

    def run(batch: list[int]) -> tuple[Any, int, float]:
        pathfind = get_pathfind_from_arg(conv.domain, functions, pathfind_arg)[0]
        started = time.perf_counter()
        instances = pathfind.make_instances([states[i] for i in batch], [goals[i] for i in batch])
        pathfind.add_instances(instances)
        iterations = 0

        def done(inst: Any) -> bool:
            return inst.finished() or (first_goal and inst.has_soln())

        while not all(done(inst) for inst in instances):
            if first_goal:
                pathfind.remove_instances(done)
            pathfind.step()
            iterations += 1
            if time.perf_counter() - started > seconds:
                break
            if max_nodes is not None and all(
                inst.num_nodes_generated >= max_nodes for inst in instances if not done(inst)
            ):
                break
        return instances, iterations, time.perf_counter() - started

    def record(inst: Any, state: Any, goal: Any, iterations: int, secs: float) -> dict[str, Any]:
        row: dict[str, Any] = {
            "solved": inst.has_soln(),
            "cost": None,
            "nodes_generated": inst.num_nodes_generated,
            "iterations": iterations,
            "seconds": round(secs, 4),
            "moves": None,
        }
        if inst.goal_node is not None:
            _, actions, _, cost = get_path(inst.goal_node)
            assert is_valid_soln(state, goal, actions, conv.domain)
            row["cost"] = cost
            row["moves"] = [conv.move_name(a) for a in actions]
        return row

    results: list[dict[str, Any]] = []
    with stdout_to_stderr():
        if states:
            run([0])  # untimed warm-up: first calls into torch and the search pay one-time costs
        clock.reset()
        if job.get("lockstep", False):
            batch = list(range(len(states)))
            instances, iterations, secs = run(batch)
            results = [
                record(inst, states[i], goals[i], inst.itr, secs)
                for i, inst in zip(batch, instances, strict=True)
            ]
            total = secs
        else:
            for i in range(len(states)):
                instances, iterations, secs = run([i])
                results.append(record(instances[0], states[i], goals[i], iterations, secs))
            total = sum(r["seconds"] for r in results)
    nodes = sum(r["nodes_generated"] for r in results)
    return {
        "pathfind": pathfind_arg,
        "heuristic": job.get("heuristic", "zero"),
        "instances": results,
        "solved": sum(r["solved"] for r in results),
        "nodes_generated": nodes,
        "seconds": round(total, 4),
        "nodes_per_s": round(nodes / total, 1) if total > 0 else 0.0,
        "network_seconds": round(clock.seconds, 4),
        "network_states": clock.states,
    }


# -- replay ---------------------------------------------------------------------------------


def replay(job: dict[str, Any]) -> dict[str, Any]:
    """Apply qsolve move sequences with DeepXube's transition function."""
    conv = Converter(job["domain"])
    states, _ = conv.to_dx(job["states"])
    out = []
    for state, moves in zip(states, job["moves"], strict=True):
        for name in moves:
            state = conv.domain.next_state([state], [conv.action(name)])[0][0]
        out.append(conv.from_dx(state))
    return {"states": out}


def main() -> None:
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    job = json.loads(text)
    set_threads(int(job.get("threads", 2)))
    modes = {"train": train, "search": search, "replay": replay}
    if job.get("mode") not in modes:
        raise SystemExit(f"mode must be one of {', '.join(modes)}")
    result = {"domain": job["domain"], "mode": job["mode"], **modes[job["mode"]](job)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":  # DeepXube's workers are spawned and re-import this file
    main()
