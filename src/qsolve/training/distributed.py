"""Data-parallel training across processes: what the loop needs from ``torch.distributed``.

``torchrun`` starts one process per rank and tells each its place through the environment
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``).  ``join()`` reads it:
without it, or with a world of one, it returns ``Single``, whose every method is a no-op, so a
plain ``qsolve train`` runs exactly as it always has.  With several ranks it returns ``Group``:

- each rank trains on its own share of every step's batch (``share``) and its own random stream;
- DistributedDataParallel averages the gradients (gloo on CPUs, NCCL on GPUs);
- ``all_sum`` adds a few numbers over the ranks once a step: how many pairs the step trains
  (so that the loss is the mean over the whole batch, not a mean of means), the loss, and the
  stop requests (so that a Ctrl-C, a SIGTERM or a deadline on any rank stops every rank after
  the same step);
- only rank 0 reads and writes the output folder; the others receive what it read (``share_object``).

A rank that dies makes the next collective fail on the others: ``PeerLost``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import torch

from qsolve.errors import QsolveError

ENV_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
# How long a rank waits for the others at a collective: rank 0 evaluates and saves while the
# others wait, and a large evaluation can take minutes.
TIMEOUT = timedelta(minutes=30)


class PeerLost(Exception):
    """A collective failed: another rank died or its machine became unreachable."""


class Single:
    """One process: nothing to share, nothing to wait for."""

    rank = 0
    world_size = 1
    local_rank = 0
    local_world_size = 1
    is_main = True

    def device(self, device: torch.device) -> torch.device:
        """The device this rank trains on."""
        return device

    def share(self, batch_size: int) -> int:
        """This rank's part of a batch of ``batch_size`` states."""
        return batch_size

    def stream(self) -> tuple[int, ...]:
        """Extra entropy for this rank's random stream (none: the batches of today's runs)."""
        return ()

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module whose backward pass averages gradients over the ranks."""
        return model

    def all_sum(self, values: Sequence[float]) -> list[float]:
        """``values`` summed elementwise over the ranks."""
        return [float(v) for v in values]

    def share_object(self, value: Any) -> Any:
        """Rank 0's ``value``, on every rank."""
        return value

    @contextmanager
    def collective(self) -> Iterator[None]:
        """Turns a failed collective into ``PeerLost``."""
        yield

    def close(self, peer_lost: bool = False) -> None:
        """Leave the group (after the others are done, unless one was lost)."""


class Group(Single):
    """Several processes started by torchrun, in one ``torch.distributed`` process group."""

    def __init__(self, rank: int, world_size: int, local_rank: int, local_world_size: int) -> None:
        import torch.distributed as dist

        self.rank, self.world_size = rank, world_size
        self.local_rank, self.local_world_size = local_rank, local_world_size
        self.is_main = rank == 0
        self.backend = "nccl" if torch.cuda.is_available() else "gloo"
        self.created = not dist.is_initialized()
        if self.created:
            dist.init_process_group(self.backend, timeout=TIMEOUT)
        else:
            self.backend = dist.get_backend()
        # NCCL reduces tensors on the GPU; gloo on the CPU.
        self.reduce_device = torch.device(f"cuda:{local_rank}" if self.backend == "nccl" else "cpu")

    def device(self, device: torch.device) -> torch.device:
        if device.type != "cuda":
            return device
        torch.cuda.set_device(self.local_rank)
        return torch.device("cuda", self.local_rank)

    def share(self, batch_size: int) -> int:
        return share_size(batch_size, self.rank, self.world_size)

    def stream(self) -> tuple[int, ...]:
        return (self.world_size, self.rank)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        from torch.nn.parallel import DistributedDataParallel

        # Made after rank 0's weights were loaded everywhere; DDP also broadcasts them itself.
        device_ids = [self.local_rank] if self.reduce_device.type == "cuda" else None
        with self.collective():
            return DistributedDataParallel(model, device_ids=device_ids)

    def all_sum(self, values: Sequence[float]) -> list[float]:
        import torch.distributed as dist

        tensor = torch.tensor(values, dtype=torch.float64, device=self.reduce_device)
        with self.collective():
            dist.all_reduce(tensor)
        return [float(v) for v in tensor.cpu()]

    def share_object(self, value: Any) -> Any:
        import torch.distributed as dist

        box = [value if self.is_main else None]
        with self.collective():
            dist.broadcast_object_list(box, src=0, device=self.reduce_device)
        return box[0]

    @contextmanager
    def collective(self) -> Iterator[None]:
        try:
            yield
        except RuntimeError as error:  # gloo and NCCL raise RuntimeError subclasses
            raise PeerLost(_reason(error)) from error

    def close(self, peer_lost: bool = False) -> None:
        import torch.distributed as dist

        if not self.created or not dist.is_initialized():
            return
        if not peer_lost:
            try:
                dist.barrier()  # rank 0 may still be saving; nobody leaves before it is done
            except RuntimeError:
                pass
        dist.destroy_process_group()


def share_size(batch_size: int, rank: int, world_size: int) -> int:
    """Rank ``rank``'s part of a batch: the first ranks take one more state each when the batch
    does not divide evenly."""
    return batch_size // world_size + (rank < batch_size % world_size)


def launched_by_torchrun() -> bool:
    """Whether this process is one rank of several started by torchrun (or alike)."""
    return all(v in os.environ for v in ENV_VARS) and _env_int("WORLD_SIZE") > 1


def join() -> Single:
    """This process's place in the training: a ``Group`` under torchrun, else ``Single``."""
    if not launched_by_torchrun():
        return Single()
    rank, world_size = _env_int("RANK"), _env_int("WORLD_SIZE")
    local_world_size = _env_int("LOCAL_WORLD_SIZE") if "LOCAL_WORLD_SIZE" in os.environ else 1
    return Group(rank, world_size, _env_int("LOCAL_RANK"), local_world_size)


def environment_rank() -> int:
    """The rank torchrun gave this process (0 outside torchrun)."""
    return _env_int("RANK") if launched_by_torchrun() else 0


def _reason(error: Exception) -> str:
    """The first sentence of a backend's error, without its source location."""
    text = " ".join(str(error).split())
    text = re.sub(r"^\[[^\]]*\]\s*", "", text)  # gloo: "[.../pair.cc:537] Read error ..."
    first = re.split(r"(?<=[a-z])\. ", text, maxsplit=1)[0].rstrip(".")
    return first or type(error).__name__


def _env_int(name: str) -> int:
    text = os.environ.get(name, "")
    try:
        return int(text)
    except ValueError:
        raise QsolveError(
            f"the environment variable {name} must be a whole number, not {text!r}"
        ) from None
