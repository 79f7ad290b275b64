"""Data-parallel training: gloo ranks on the CPU, started by torch.multiprocessing or torchrun."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
import torch

from qsolve.domains import get_domain
from qsolve.networks import load_heuristic
from qsolve.networks.resnet import ResidualMLP
from qsolve.training import TrainConfig, distributed, make_batch, train
from qsolve.training.checkpoint import RESUME_FILE, load_resume
from qsolve.training.device_data import DeviceData, TensorBatch, to_tensors
from qsolve.training.loop import gradient_step
from qsolve.training.targets import compute_targets

# Short walks keep each evaluation (and so each test) short.
TINY = {"width1": 32, "width2": 16, "blocks": 1, "batch_size": 64, "threads": 1, "scramble_max": 8}
TINY_FLAGS = [
    "--width1", "32", "--width2", "16", "--blocks", "1", "--batch-size", "64", "--scramble-max", "8"
]  # fmt: skip
BATCH = 63  # odd: the two ranks' shares differ in size (32 and 31 states)
CPU = torch.device("cpu")


def _networks(config: TrainConfig) -> tuple[ResidualMLP, ResidualMLP]:
    arch = config.architecture(get_domain("puzzle8"))
    torch.manual_seed(0)
    online = ResidualMLP(arch)
    torch.manual_seed(1)  # a target network unlike the online one: targets that matter
    return online, ResidualMLP(arch)


def _config() -> TrainConfig:
    config = TrainConfig("puzzle8", "unused", **{**TINY, "batch_size": BATCH}, grad_clip=0)
    config.with_sizes(get_domain("puzzle8").network_size)
    return config


def _share(share: int, stream: tuple[int, ...], data: str) -> TensorBatch:
    if data == "device":  # seed 6: the two shares train unequal numbers of pairs
        return DeviceData(get_domain("puzzle8"), CPU).make_batch(
            6, 2, share, 12, None, "walk", True, stream
        )
    args = (5, 2, share, 12, None, "walk", True, stream)
    return to_tensors(make_batch(get_domain("puzzle8"), *args), CPU)


def _gradient_rank(rank: int, port: int, folder: str, data: str) -> None:
    """One of two gloo ranks: its share of the batch, its averaged gradient, saved to a file."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE="2",
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    group = distributed.join()
    config = _config()
    online, target = _networks(config)
    batch = _share(group.share(BATCH), group.stream(), data)
    domain = get_domain("puzzle8")
    y = compute_targets(domain, batch, online, target, config, CPU)
    total = int(group.all_sum([int(batch.trained.sum())])[0])
    optimizer = torch.optim.SGD(online.parameters(), lr=0.0)  # keeps the gradient, not the step
    loss = gradient_step(domain, batch, y, group.wrap(online), optimizer, config, CPU, group, total)
    grads = [p.grad.clone() for p in online.parameters()]  # type: ignore[union-attr]
    torch.save({"loss": loss, "grads": grads, "states": len(batch.states)}, f"{folder}/{rank}.pt")
    group.close()
    # What the test compares is saved. Leave without the interpreter's shutdown, where gloo's
    # threads once aborted a rank in CI (SIGABRT: "terminate called without an active exception").
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _concatenate(a: TensorBatch, b: TensorBatch) -> TensorBatch:
    joined = {}
    for f in fields(TensorBatch):
        x, y = getattr(a, f.name), getattr(b, f.name)
        joined[f.name] = None if x is None else torch.cat([x, y])
    return replace(a, **joined)


@pytest.mark.parametrize("data", ["cpu", "device"])
def test_the_averaged_gradient_of_two_ranks_is_the_gradient_of_the_union_of_their_batches(
    tmp_path, data
):
    import torch.multiprocessing as mp

    mp.spawn(_gradient_rank, args=(_free_port(), str(tmp_path), data), nprocs=2)
    ranks = [torch.load(tmp_path / f"{r}.pt") for r in (0, 1)]
    assert [r["states"] for r in ranks] == [32, 31]

    # One process, on the two shares together, as the ranks drew them from their own streams.
    config = _config()
    shares = [_share(n, (2, r), data) for r, n in enumerate((32, 31))]
    assert not torch.equal(shares[0].states[:31], shares[1].states)
    union = _concatenate(*shares)
    online, target = _networks(config)
    domain = get_domain("puzzle8")
    y = compute_targets(domain, union, online, target, config, CPU)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.0)
    loss = gradient_step(domain, union, y, online, optimizer, config, CPU)
    assert union.trained.sum() != 2 * shares[1].trained.sum()  # not a mean of equal halves
    for rank in ranks:
        assert rank["loss"] == pytest.approx(loss, rel=1e-5)
        for mine, single in zip(rank["grads"], online.parameters(), strict=True):
            torch.testing.assert_close(mine, single.grad, rtol=1e-5, atol=1e-7)


# -- torchrun ---------------------------------------------------------------------------------


def _torchrun(out: Path, *flags: str) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "qsolve", "train", "puzzle8", "--out", str(out), *TINY_FLAGS, "--threads", "1",
        "--quiet", *flags,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _rank_pid(launcher: int, rank: int) -> int:
    """The process of ``rank`` among the children of the torchrun process ``launcher``."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == launcher and f"RANK={rank}".encode() in environ:
            return int(entry)
    raise AssertionError(f"no rank {rank} under torchrun process {launcher}")


def _wait_for_checkpoint(out: Path, run: subprocess.Popen[str]) -> None:
    deadline = time.time() + 120
    while not (out / RESUME_FILE).exists():
        assert run.poll() is None, run.communicate()
        assert time.time() < deadline
        time.sleep(0.05)


def _saved_step(out: Path) -> int:
    saved = load_resume(out)
    assert saved is not None
    return int(saved["progress"]["step"])


needs_proc = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


def test_torchrun_trains_puzzle8_on_two_ranks_and_resumes_across_world_sizes(tmp_path):
    options = {**TINY, "eval_every": 3, "progress": False}
    train("puzzle8", tmp_path, steps=3, **options)  # one process
    run = _torchrun(tmp_path, "--steps", "6", "--eval-every", "3", "--resume")
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.count("trained puzzle8 to step 6") == 1  # rank 0 alone reports
    assert _saved_step(tmp_path) == 6
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows] == ["step", "3", "6"]  # rank 0 alone writes
    summary = train("puzzle8", tmp_path, steps=8, resume=True, **options)  # one process again
    assert summary.step == 8
    domain = get_domain("puzzle8")
    assert load_heuristic(tmp_path, domain).q_values(domain.goal[None]).shape == (1, 4)


@needs_proc
def test_a_killed_rank_ends_the_run_and_rank_0_saves_its_last_whole_step(tmp_path):
    run = _torchrun(tmp_path, "--steps", "1000000", "--eval-every", "4")
    _wait_for_checkpoint(tmp_path, run)
    os.kill(_rank_pid(run.pid, 1), signal.SIGKILL)
    _, stderr = run.communicate(timeout=300)
    assert run.returncode != 0
    message = re.search(
        r"qsolve: error: rank 0 of 2 lost contact with the other ranks \(.*\); "
        r"the checkpoint in (.*) holds step (\d+); continue with --resume",
        stderr,
    )
    assert message, stderr
    step = int(message.group(2))
    assert message.group(1) == str(tmp_path) and step >= 4
    assert _saved_step(tmp_path) == step
    domain = get_domain("puzzle8")
    assert load_heuristic(tmp_path, domain).q_values(domain.goal[None]).shape == (1, 4)
    options = {**TINY, "eval_every": 10_000, "progress": False}
    summary = train("puzzle8", tmp_path, steps=step + 2, resume=True, **options)
    assert summary.step == step + 2


@needs_proc
def test_sigterm_on_one_rank_stops_every_rank_after_the_same_step(tmp_path):
    run = _torchrun(tmp_path, "--steps", "1000000", "--eval-every", "4")
    _wait_for_checkpoint(tmp_path, run)
    os.kill(_rank_pid(run.pid, 1), signal.SIGTERM)
    stdout, stderr = run.communicate(timeout=300)
    reported = re.search(r"interrupted puzzle8 to step (\d+)", stdout)
    assert reported, stdout + stderr
    assert "lost contact" not in stderr
    assert _saved_step(tmp_path) == int(reported.group(1))
    assert "continue with: qsolve train puzzle8" in stdout


def test_each_rank_draws_its_own_share_and_one_process_draws_todays_batches():
    single = distributed.Single()
    assert single.share(1000) == 1000 and single.stream() == ()
    domain = get_domain("puzzle8")
    today = make_batch(domain, 4, 9, 50, 20, None)
    assert np.array_equal(today.states, make_batch(domain, 4, 9, 50, 20, None, stream=()).states)
    assert [distributed.share_size(100, r, 3) for r in range(3)] == [34, 33, 33]
    assert sum(distributed.share_size(64, r, 5) for r in range(5)) == 64
