"""The one place qsolve sets how many CPU threads torch's operations use.

Importing this module does not import torch; torch is imported when the threads are set.
"""

from __future__ import annotations


def set_torch_threads(threads: int) -> None:
    """Let torch's operations use ``threads`` CPU threads (``threads`` already checked, >= 1).

    Search and benchmarks ask for few: torch's default of every core stalls badly whenever the
    machine has other work.
    """
    import torch

    torch.set_num_threads(threads)
