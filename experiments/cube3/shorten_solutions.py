"""Whether solutions get shorter by local repair: for every state on a solution path, a
breadth-first ball of ``--radius`` moves; where the balls of path states i < j meet in a state x
with d(i, x) + d(x, j) shorter than the path between them, the stretch is replaced (the shortest
combination by dynamic programming over the path, repeated until nothing changes).  Reads the
JSON that ``solve_hard_states.py`` writes; every shortened solution is replayed to the goal.
Written for docs/benchmarks.md; the full account is in experiments/history/benchmarks-notebook.md
("Shortening the solutions afterwards does not help").

    python experiments/cube3/shorten_solutions.py L6.json --radius 4
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import qsolve
from qsolve.domains import Domain


def keys(states: np.ndarray, source: np.ndarray | None = None) -> np.ndarray:
    """One opaque value per row (with its source appended, if given), for sorting and matching."""
    rows = np.ascontiguousarray(states)
    if source is not None:
        tag = source.astype(np.uint16).view(np.uint8).reshape(len(rows), 2)
        rows = np.ascontiguousarray(np.concatenate([rows, tag], axis=1))
    return rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel()


def balls(domain: Domain, sources: np.ndarray, radius: int) -> list[tuple[np.ndarray, ...]]:
    """Per depth: (source, state, cost, parent index, action), each state once per source."""
    n = len(sources)
    levels = [(np.arange(n), sources, np.zeros(n), np.full(n, -1), np.full(n, -1))]
    seen = keys(sources, np.arange(n))
    a = domain.num_actions
    for _ in range(radius):
        source, states, cost, _, _ = levels[-1]
        parent = np.repeat(np.arange(len(states)), a)
        action = np.tile(np.arange(a), len(states))
        children = domain.step(states[parent], action)
        ok = domain.applicable(states).ravel()
        parent, action, children = parent[ok], action[ok], children[ok]
        k = keys(children, source[parent])
        _, first = np.unique(k, return_index=True)
        first = first[~np.isin(k[first], seen)]
        seen = np.concatenate([seen, k[first]])
        levels.append(
            (
                source[parent][first],
                children[first],
                cost[parent][first] + domain.action_costs[action[first]],
                parent[first],
                action[first],
            )
        )
    return levels


def moves_to(levels: list[tuple[np.ndarray, ...]], depth: int, index: int) -> list[int]:
    moves = []
    while depth > 0:
        moves.append(int(levels[depth][4][index]))
        index = int(levels[depth][3][index])
        depth -= 1
    return moves[::-1]


def path_to(domain: Domain, start: np.ndarray, goal: np.ndarray, depth: int) -> list[int]:
    levels = balls(domain, start[None, :], depth)
    for d, level in enumerate(levels):
        hit = np.nonzero((level[1] == goal).all(axis=1))[0]
        if len(hit):
            return moves_to(levels, d, int(hit[0]))
    raise AssertionError("no path within the ball (the moves are not reversible)")


def shorten(domain: Domain, start: np.ndarray, actions: list[int], radius: int) -> list[int]:
    while True:
        path = [start]
        for action in actions:
            path.append(domain.apply_moves(path[-1], [action]))
        states, n = np.stack(path), len(actions)
        g = np.concatenate([[0.0], np.cumsum(domain.action_costs[actions])])
        levels = balls(domain, states, radius)
        source = np.concatenate([lv[0] for lv in levels])
        cost = np.concatenate([lv[2] for lv in levels])
        depth = np.concatenate([np.full(len(lv[0]), d) for d, lv in enumerate(levels)])
        index = np.concatenate([np.arange(len(lv[0])) for lv in levels])
        k = keys(np.concatenate([lv[1] for lv in levels]))
        order = np.lexsort((source, k))
        k, source, cost, depth, index = (v[order] for v in (k, source, cost, depth, index))
        best: dict[tuple[int, int], tuple[float, int, int]] = {}
        for t in range(1, n + 1):
            same = np.nonzero(k[:-t] == k[t:])[0]
            if not len(same):
                break
            i, j, c = source[same], source[same + t], cost[same] + cost[same + t]
            for q in np.nonzero(g[j] - g[i] - c > 1e-9)[0]:
                pair = (int(i[q]), int(j[q]))
                if pair not in best or c[q] < best[pair][0]:
                    best[pair] = (float(c[q]), int(same[q]), int(same[q] + t))
        dist, how = np.full(n + 1, np.inf), [(0, -1, -1)] * (n + 1)
        dist[0] = 0.0
        for j in range(1, n + 1):
            dist[j], how[j] = dist[j - 1] + domain.action_costs[actions[j - 1]], (j - 1, -1, -1)
            for (i, jj), (c, x, y) in best.items():
                if jj == j and dist[i] + c < dist[j] - 1e-9:
                    dist[j], how[j] = dist[i] + c, (i, x, y)
        if dist[n] >= g[n] - 1e-9:
            return actions
        parts, j = [], n
        while j > 0:
            i, x, y = how[j]
            if x < 0:
                parts.append([actions[j - 1]])
            else:
                middle = levels[depth[x]][1][index[x]]
                first = moves_to(levels, int(depth[x]), int(index[x]))
                parts.append(first + path_to(domain, middle, states[j], int(depth[y])))
            j = i
        actions = [m for part in parts[::-1] for m in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="JSON from solve_hard_states.py")
    parser.add_argument("--set", default="cube3")
    parser.add_argument("--radius", type=int, default=4)
    args = parser.parse_args()
    domain = qsolve.domain(args.set)
    with open(args.results) as f:
        rows = [r for r in json.load(f) if r["solved"]]
    before, after = [], []
    for row in rows:
        start = np.array(row["state"], dtype=domain.dtype)
        began = time.perf_counter()
        shorter = shorten(domain, start, row["actions"], args.radius)
        end = domain.apply_moves(start, shorter)
        assert domain.is_goal(end[None, :])[0], "a shortened solution does not reach the goal"
        before.append(row["cost"])
        after.append(float(domain.action_costs[shorter].sum()))
        print(
            f"{row['cost']:g} -> {after[-1]:g} (optimum {row['optimum']:g}), "
            f"{time.perf_counter() - began:.2f} s"
        )
    print(f"mean cost {np.mean(before):.2f} -> {np.mean(after):.2f} on {len(rows)} solutions")


if __name__ == "__main__":
    main()
