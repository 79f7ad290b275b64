"""Every heuristic call of Q*, refills included, is a request the driver answers."""

import numpy as np

from qsolve.domains import get_domain
from qsolve.heuristics import get_heuristic
from qsolve.search.common import run_lockstep, run_search
from qsolve.search.qstar import qstar_steps


def test_refills_are_requests_that_lockstep_batches():
    domain = get_domain("lightsout5")
    heuristic = get_heuristic("zero", domain)
    starts = domain.random_walk(np.full(4, 3), np.random.default_rng(2))
    requests: list[int] = []

    def evaluate(states):
        requests.append(len(states))
        return heuristic.q_values(states)

    # With the top 3 of 25 actions ranked, nodes popped past them ask for their Q-values again.
    alone = [run_search(qstar_steps(domain, s, 16, 1.0, True, None, 3), evaluate) for s in starts]
    single_rows = requests.count(1)
    calls, inputs = len(requests), sum(requests)
    requests.clear()
    together = run_lockstep(
        (qstar_steps(domain, s, 16, 1.0, True, None, 3) for s in starts), evaluate, 4
    )
    assert single_rows > 0 and sum(requests) == inputs
    assert sum(r.heuristic_inputs for r in alone) == inputs
    assert [(r.actions, r.nodes_generated, r.heuristic_inputs) for r in alone] == [
        (r.actions, r.nodes_generated, r.heuristic_inputs) for r in together
    ]
    assert len(requests) < calls  # the searches' requests, refills too, share calls
