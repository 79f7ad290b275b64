"""``qsolve bench``: the benchmark suites, shipped with the package and independent of the working
directory.

- ``report``: tables on the terminal, CSV and markdown on disk (``Report``, ``write_report``).
- ``instances``: start states, random walks and the DeepCubeA test sets (``read_deepcubea``;
  ``read_reference_set`` for the sets whose reference is DeepCubeA's cost), the Boxoban levels
  (``read_boxoban``),
  solved one at a time with replayed solutions (``solve_each``).
- ``suites``: the measurements and the quick, paper, profile and deepcubea suites (``run_bench``).
- ``peers``: the race against DeepXube, with its driver and set-up script in ``peers_support/``.
- ``race_saved``: ``python -m qsolve.bench.race_saved``, the saved networks of a peers run raced again.

Imports run one way: ``peers`` uses ``report`` and ``instances``; ``suites`` loads ``peers`` only
when the peers suite runs; none of them imports this package's names back.
"""

from qsolve.bench.instances import (
    BoxobanLevel,
    boxoban_dir,
    deepcubea_dir,
    read_boxoban,
    read_deepcubea,
    read_reference_set,
    solve_each,
    walks,
)
from qsolve.bench.report import Report, Row, machine, write_report
from qsolve.bench.suites import (
    SUITES,
    action_space,
    heuristic_for,
    lockstep,
    q_vs_a,
    run_bench,
)

__all__ = [
    "SUITES",
    "BoxobanLevel",
    "Report",
    "Row",
    "action_space",
    "boxoban_dir",
    "deepcubea_dir",
    "heuristic_for",
    "lockstep",
    "machine",
    "q_vs_a",
    "read_boxoban",
    "read_deepcubea",
    "read_reference_set",
    "run_bench",
    "solve_each",
    "walks",
    "write_report",
]
