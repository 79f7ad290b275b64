"""The node store's duplicate detection against a plain reference: same ids, new and reopened
nodes, and the same stored arrays, for batches with and without repeated states."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.search import kernels

# Where numba is installed, the store's index also runs compiled.
BACKENDS = [None, kernels.compiled()] if kernels.compiled() is not None else [None]


class Reference:
    """Row by row: a state's first path is stored, a cheaper later one replaces it."""

    def __init__(self, start):
        self.node: dict[tuple, int] = {tuple(start): 0}
        self.states, self.parent, self.action = [tuple(start)], [-1], [-1]
        self.g, self.generation = [0.0], [0]

    def insert(self, states, parents, actions, costs):
        base = len(self.g)
        ids, reopened = [], []
        for state, parent, action, cost in zip(
            map(tuple, states), parents.tolist(), actions.tolist(), costs.tolist(), strict=True
        ):
            node = self.node.get(state)
            if node is None:
                node = self.node[state] = len(self.g)
                self.states.append(state)
                self.parent.append(parent)
                self.action.append(action)
                self.g.append(cost)
                self.generation.append(0)
            elif cost < self.g[node]:
                self.g[node], self.parent[node], self.action[node] = cost, parent, action
                if node < base:
                    self.generation[node] += 1
                    if node not in reopened:
                        reopened.append(node)
            else:
                node = -1
            ids.append(node)
        return ids, list(range(base, len(self.g))), reopened


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), distinct=st.booleans(), jit=st.sampled_from(BACKENDS))
def test_insert_matches_the_reference(seed, distinct, jit):
    rng = np.random.default_rng(seed)
    start = np.zeros(3, dtype=np.uint8)
    store, reference = kernels.node_store(start, jit), Reference(start)
    for _ in range(8):
        n = int(rng.integers(1, 12))
        # 3 entries of 0..2: 27 states, so batches often repeat states, stored or not.
        states = rng.integers(0, 3, (n, 3)).astype(np.uint8)
        if distinct:  # no state twice in the batch
            states = np.unique(states, axis=0)[rng.permutation(len(np.unique(states, axis=0)))]
            n = len(states)
        parents = rng.integers(0, store.size, n)
        actions = rng.integers(0, 5, n)
        costs = rng.integers(1, 6, n).astype(np.float64)
        ids, new, reopened = store.insert(states, parents, actions, costs)
        expected = reference.insert(states, parents, actions, costs)
        assert (ids.tolist(), new.tolist(), reopened.tolist()) == expected
        size = store.size
        assert size == len(reference.g)
        assert [tuple(s) for s in store.states[:size].tolist()] == reference.states
        assert store.parent[:size].tolist() == reference.parent
        assert store.action[:size].tolist() == reference.action
        assert store.g[:size].tolist() == reference.g
        assert store.generation[:size].tolist() == reference.generation
