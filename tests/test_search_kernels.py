"""Q*'s compiled kernels (numba) against its numpy and heapq code: same ranks, same popped pairs."""

import numpy as np
import pytest
import search_helpers

from qsolve.domains import get_domain
from qsolve.heuristics import get_heuristic
from qsolve.search import kernels, qstar_search
from qsolve.search.open_lists import full_ranking, top_actions

jit = pytest.importorskip("qsolve.search._jit", reason="numba is not installed")


def tied_q(rng, n, a):
    """Q-values with many ties and some inapplicable (inf) actions."""
    q = rng.integers(0, 5, (n, a)).astype(np.float32)
    q[rng.random((n, a)) < 0.2] = np.inf
    return q


@pytest.mark.parametrize(("a", "k"), [(12, 3), (49, 32), (1884, 32), (6, 6), (4, 1)])
def test_top_k_is_the_head_of_the_stable_ranking(a, k):
    rng = np.random.default_rng(a)
    q = tied_q(rng, 300, a)
    expected = np.argsort(q, axis=1, kind="stable")[:, :k]
    order, q_sorted, finite = top_actions(q, k)
    compiled_order, compiled_q = jit.top_k(q, k)
    assert np.array_equal(order, expected) and np.array_equal(compiled_order, expected)
    assert np.array_equal(q_sorted, compiled_q)
    # The open list's ranking: rows written to their nodes' rows, with the finite ranks.
    nodes = rng.permutation(len(q))
    actions = np.empty((len(q), k), dtype=np.int32)
    node_q = np.empty((len(q), k), dtype=np.float32)
    node_finite = np.zeros(len(q), dtype=np.int64)
    empty = np.empty((0, 0))
    ranks = kernels.Ranks(actions, node_q, node_finite, np.full(len(q), -1), empty, empty)
    jit.rank_nodes(q, k, nodes, ranks)
    assert np.array_equal(actions[nodes], expected) and np.array_equal(node_q[nodes], q_sorted)
    assert np.array_equal(node_finite[nodes], finite)
    assert np.array_equal(full_ranking(q[0])[0][:k], expected[0])


@pytest.mark.parametrize(
    ("domain_name", "heuristic_name", "batch_size", "weight", "top_k", "depth"),
    [
        ("puzzle8", "manhattan", 4, 1.0, 2, 24),
        ("cube2", "zero", 16, 1.0, 3, 5),
        ("lightsout5", "zero", 32, 1.0, 7, 4),
        ("cube3-meta", "zero", 200, 1.0, 32, 3),
    ],
)
def test_compiled_open_list_pops_the_same_pairs(
    domain_name, heuristic_name, batch_size, weight, top_k, depth
):
    domain = get_domain(domain_name)
    heuristic = get_heuristic(heuristic_name, domain)
    for start in domain.random_walk(np.full(3, depth), np.random.default_rng(13)):
        runs = []
        for compiled in (False, True):  # numpy and heapq; the compiled kernels
            trace: list[tuple[int, int]] = []
            result = search_helpers.qstar_search(
                domain, heuristic, start, batch_size, weight, True, top_k=top_k, trace=trace,
                compiled=compiled,
            )  # fmt: skip
            runs.append((trace, result.actions, result.nodes_generated, result.heuristic_inputs))
        assert runs[0] == runs[1]
        assert len(set(runs[0][0])) == len(runs[0][0])  # no pair is popped twice


def test_the_backend_is_chosen_once_per_search(monkeypatch):
    monkeypatch.delenv("QSOLVE_COMPILED", raising=False)
    small, large = kernels.SMALL_SEARCH - 1, kernels.SMALL_SEARCH
    assert kernels.choose(None, large) is jit and kernels.choose(None, None) is jit
    assert kernels.choose(True, small) is jit and kernels.choose(False, large) is None
    monkeypatch.setattr(kernels, "_loaded", [])  # as in a fresh process
    assert kernels.choose(None, small) is None and not kernels.loaded()
    assert kernels.choose(None, large) is jit and kernels.choose(None, small) is jit  # loaded
    monkeypatch.setenv("QSOLVE_COMPILED", "0")
    assert kernels.choose(None, None) is None and kernels.choose(True, None) is jit


def test_both_backends_solve_alike():
    domain = get_domain("cube2")
    heuristic = get_heuristic("zero", domain)
    for start in domain.random_walk(np.full(4, 4), np.random.default_rng(5)):
        plain, fast = (
            qstar_search(domain, heuristic, start, 8, optimal=True, compiled=compiled)
            for compiled in (False, True)
        )
        assert (plain.actions, plain.cost, plain.nodes_generated, plain.states_stored) == (
            fast.actions, fast.cost, fast.nodes_generated, fast.states_stored,
        )  # fmt: skip
