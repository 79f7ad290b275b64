"""Whether the first layer should be a gather-sum: a one-hot input makes ``W1 x`` the sum of the
columns of W1 that the state's entries pick, far fewer operations than the dense product.  Races
the default fp32 ONNX Runtime engine (the whole network) against the first layer as a gather-sum
(numpy fancy indexing, or torch's ``embedding_bag``) followed by the rest of the network as its
own ONNX Runtime graph, at several batch sizes, on one thread.

    python experiments/engines/first_layer_gather.py --model DIR --domain puzzle15
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

import qsolve
from qsolve.networks import engines
from qsolve.networks.resnet import ResidualMLP


class AfterFirstLayer(torch.nn.Module):
    """The network from the first layer's output on."""

    def __init__(self, model: ResidualMLP) -> None:
        super().__init__()
        self.model = model

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        m = self.model
        h = F.relu(m.norm2(m.fc2(F.relu(m.norm1(h)))))
        for block in m.blocks:
            h = block(h)
        return m.head(h)  # softplus applied outside, as the engine does


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a Q model folder")
    parser.add_argument("--domain", default="puzzle15")
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 16, 100, 1000])
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per race")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.domain)
    heuristic = qsolve.load_heuristic(args.model, domain, precision="fp32", engine="torch")
    model = heuristic.model.float().eval()
    whole = engines.OnnxEngine(model, domain.encoding_dim, "fp32", engines.weights_hash(model))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "tail.onnx"
        torch.onnx.export(
            AfterFirstLayer(model),
            (torch.zeros(2, model.arch.width1),),
            str(path),
            dynamo=False,
            input_names=["h"],
            output_names=["y"],
            dynamic_axes={"h": {0: "batch"}, "y": {0: "batch"}},
            opset_version=17,
        )
        tail = engines.OnnxEngine._session(path)
    columns = np.ascontiguousarray(model.fc1.weight.detach().numpy().T)  # [input_dim, width1]
    bias = model.fc1.bias.detach().numpy()
    rng = np.random.default_rng(0)
    print(f"{args.domain}, {model.arch}, fp32, one thread; microseconds per state")
    print("| batch | whole network (ONNX) | numpy gather + rest (ONNX) | embedding_bag + rest |")
    print("|---|---|---|---|")
    for n in args.batches:
        states = domain.random_walk(rng.integers(0, 200, n), rng)
        seconds = race_batch(domain, states, whole, tail, columns, bias, args.budget)
        row = " | ".join(f"{seconds[k] * 1e6 / n:.1f}" for k in ("whole", "numpy", "torch"))
        print(f"| {n} | {row} |")


def race_batch(
    domain: qsolve.Domain,
    states: np.ndarray,
    whole: engines.Engine,
    tail: object,
    columns: np.ndarray,
    bias: np.ndarray,
    budget: float,
) -> dict[str, float]:
    """Best seconds of the whole network and of the two split forms on ``states``."""
    n, d = states.shape
    x = domain.encode(states).astype(np.float32)
    picked = (states.astype(np.int64) + np.arange(d) * domain.num_values).reshape(-1)
    starts = torch.arange(0, n * d, d)

    def numpy_gather() -> np.ndarray:
        h = columns[picked].reshape(n, d, -1).sum(1) + bias
        return engines.softplus_(tail.run(None, {"h": h})[0])  # type: ignore[attr-defined]

    def torch_gather() -> np.ndarray:
        h = F.embedding_bag(torch.from_numpy(picked), torch.from_numpy(columns), starts, mode="sum")
        return engines.softplus_(tail.run(None, {"h": h.numpy() + bias})[0])  # type: ignore[attr-defined]

    reference = whole(x)
    for run in (numpy_gather, torch_gather):
        assert np.allclose(run(), reference, atol=1e-3), "the split network differs"
    return engines.race(
        {"whole": lambda: whole(x), "numpy": numpy_gather, "torch": torch_gather}, budget
    )


if __name__ == "__main__":
    main()
