"""How close a network's forward pass comes to what one CPU core can do.

The peak is measured, not taken from a data sheet: the matrix products of the network's own
layers (``[B, fan_in] @ [fan_in, fan_out]`` for each linear layer, nothing else) through numpy
(OpenBLAS), torch and ONNX Runtime, in fp32 and int8, and the best of them is the core's peak for
this network.  The network then runs through each engine, and its achieved GFLOP/s (counting the
linear layers' multiply-adds, as the peak does) is reported as a share of that peak.  Where the
default engine splits a large batch into chunks (``engines.Chunked``), the layer products run in
chunks of the same size too, and the faster of the two ways is the peak: the engine is measured
against the best the libraries do with the same freedom.  Run it on one thread
(``torch.set_num_threads(1)``; numpy's OpenBLAS is set to one thread here; ONNX Runtime's
sessions take torch's thread count, as the engines do).
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch

from qsolve.networks import engines
from qsolve.networks.resnet import Architecture, ResidualMLP

Row = dict[str, Any]


def layer_shapes(arch: Architecture) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of each linear layer, in order."""
    shapes = [(arch.input_dim, arch.width1), (arch.width1, arch.width2)]
    shapes += [(arch.width2, arch.width2)] * (2 * arch.blocks)
    return [*shapes, (arch.width2, arch.output_dim)]


def flops_per_state(arch: Architecture) -> float:
    """Floating-point operations of the linear layers for one state (2 per multiply-add)."""
    return float(sum(2 * fan_in * fan_out for fan_in, fan_out in layer_shapes(arch)))


def _chain(runs: Sequence[Callable[[], object]]) -> Callable[[], None]:
    def run() -> None:
        for step in runs:
            step()

    return run


def _openblas_functions(names: Sequence[str]) -> list[Any]:
    """Each function of ``names`` (alternative symbol names: 64-bit and 32-bit integer builds)
    that the OpenBLAS libraries bundled with numpy export."""
    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    found = []
    for path in glob.glob(os.path.join(folder, "libscipy_openblas*.so")):
        lib = ctypes.CDLL(path)
        found += [getattr(lib, name) for name in names if hasattr(lib, name)]
    return found


def openblas_core() -> str:
    """The kernel numpy's OpenBLAS runs (it follows OPENBLAS_CORETYPE where that is set)."""
    for getter in _openblas_functions(
        ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename")
    ):
        getter.restype = ctypes.c_char_p
        return str(getter().decode())
    return "unknown"


def _one_openblas_thread() -> None:
    for setter in _openblas_functions(
        ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
    ):
        setter(1)


def _ort_session(graph: Any) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(
        graph.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )


def _ort_matmul(fan_in: int, fan_out: int, int8: bool, rng: np.random.Generator) -> Any:
    """An ONNX Runtime session computing ``x @ W`` (MatMul, or MatMulInteger on uint8 x int8)."""
    from onnx import TensorProto, helper, numpy_helper

    weights: np.ndarray
    if int8:
        weights = rng.integers(-127, 128, size=(fan_in, fan_out), dtype=np.int8)
        node = helper.make_node("MatMulInteger", ["x", "w"], ["y"])
        x_type, y_type = TensorProto.UINT8, TensorProto.INT32
    else:
        weights = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
        node = helper.make_node("MatMul", ["x", "w"], ["y"])
        x_type = y_type = TensorProto.FLOAT
    graph = helper.make_graph(
        [node],
        "matmul",
        [helper.make_tensor_value_info("x", x_type, ["batch", fan_in])],
        [helper.make_tensor_value_info("y", y_type, ["batch", fan_out])],
        [numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _ort_session(model)


def gemm_runs(arch: Architecture, batch: int) -> dict[tuple[str, str], Callable[[], None]]:
    """Per (library, precision): one pass of the network's layer products at ``batch``."""
    _one_openblas_thread()
    rng = np.random.default_rng(0)
    shapes = layer_shapes(arch)
    runs: dict[tuple[str, str], Callable[[], None]] = {}
    xs = {k: rng.standard_normal((batch, k), dtype=np.float32) for k, _ in shapes}
    ws = [rng.standard_normal((k, n), dtype=np.float32) for k, n in shapes]
    outs = [np.empty((batch, n), dtype=np.float32) for _, n in shapes]
    layers = list(zip(shapes, ws, outs, strict=True))
    runs["numpy (OpenBLAS)", "fp32"] = _chain(
        [partial(np.matmul, xs[k], w, out=o) for (k, _), w, o in layers]
    )
    tx = {k: torch.from_numpy(x) for k, x in xs.items()}
    runs["torch", "fp32"] = _chain(
        [
            partial(torch.mm, tx[k], torch.from_numpy(w), out=torch.from_numpy(o))
            for (k, _), w, o in layers
        ]
    )
    qx = {k: torch.randint(-128, 128, (batch, k), dtype=torch.int8) for k, _ in shapes}
    qw = [torch.randint(-128, 128, (k, n), dtype=torch.int8) for k, n in shapes]
    try:
        torch._int_mm(qx[shapes[0][0]], qw[0])
        runs["torch (_int_mm)", "int8"] = _chain(
            [partial(torch._int_mm, qx[k], w) for (k, _), w in zip(shapes, qw, strict=True)]
        )
    except RuntimeError:  # no int8 product for these shapes on this build
        pass
    if engines.onnxruntime_available():
        for int8 in (False, True):
            steps = []
            for k, n in shapes:
                session = _ort_matmul(k, n, int8, rng)
                feed = rng.integers(0, 256, size=(batch, k), dtype=np.uint8) if int8 else xs[k]
                steps.append(partial(session.run, None, {"x": feed}))
            runs["onnxruntime", "int8" if int8 else "fp32"] = _chain(steps)
    return runs


def engine_candidates(
    model: ResidualMLP, default: engines.Engine | None = None
) -> dict[str, engines.Engine]:
    """Each engine at each precision (and, first, ``default``: what ``--engine auto`` picked)."""
    cpu = torch.device("cpu")
    found: dict[str, engines.Engine] = {}
    if default is not None:
        found[f"auto = {engines.describe(default)}"] = default
    found["torch fp32"] = engines.TorchEngine(model, "fp32", cpu)
    found["torch int8"] = engines.TorchEngine(model, "int8", cpu)
    if engines.onnxruntime_available():
        digest = engines.weights_hash(model)
        for precision in ("fp32", "int8"):
            found[f"onnx {precision}"] = engines.OnnxEngine(
                model, model.arch.input_dim, precision, digest
            )
    return found


def measure(
    model: ResidualMLP,
    sample: np.ndarray,
    batches: Sequence[int] = (100, 1000, 10_000),
    budget: float = 3.0,
    default: engines.Engine | None = None,
) -> tuple[list[Row], list[Row]]:
    """(peak rows, engine rows): the layer products per library and the network per engine, at
    each batch size, all raced in the same rounds; each engine row gives its GFLOP/s as a share
    of the best fp32 (and, for int8, the best int8) layer-product speed at that batch, in one
    call or in the default engine's chunks.

    ``sample``: ``[N, input_dim]`` float32 encoded states, tiled up to the largest batch;
    ``budget``: seconds per batch size.
    """
    candidates = engine_candidates(model, default)
    x = np.ascontiguousarray(np.tile(sample, (-(-max(batches) // len(sample)), 1))[: max(batches)])
    flops = flops_per_state(model.arch)
    reference = engines.TorchEngine(model, "fp32", torch.device("cpu"))(x[:1000])
    quality = {}
    for name, engine in candidates.items():
        out = engine(x[:1000])
        same = (out.argmin(1) == reference.argmin(1)).mean() if out.shape[1] > 1 else np.nan
        quality[name] = (float(np.abs(out - reference).max()), 100 * float(same))
    peak_rows: list[Row] = []
    engine_rows: list[Row] = []
    chunk = default.rows if isinstance(default, engines.Chunked) else None
    for batch in batches:
        runs: dict[str, Callable[[], object]] = {}
        products: dict[str, tuple[str, str, int]] = {}  # run -> (library, precision, states)
        for (library, precision), run in gemm_runs(model.arch, batch).items():
            runs[f"{library}|{precision}"] = run
            products[f"{library}|{precision}"] = (library, precision, batch)
        if chunk is not None and chunk < batch:  # the same products in the engine's chunks
            pieces = -(-batch // chunk)
            for (library, precision), run in gemm_runs(model.arch, chunk).items():
                label = f"{library}, chunks of {chunk}"
                runs[f"{label}|{precision}"] = _chain([run] * pieces)
                products[f"{label}|{precision}"] = (label, precision, pieces * chunk)
        runs |= {name: partial(engine, x[:batch]) for name, engine in candidates.items()}
        seconds = engines.race(runs, budget)
        peak = {"fp32": 0.0, "int8": 0.0}
        for run_name, (library, precision, states) in products.items():
            speed = states * flops / seconds[run_name] / 1e9
            peak[precision] = max(peak[precision], speed)
            peak_rows.append(
                {"library": library, "precision": precision, "B": batch, "GFLOP/s": speed}
            )
        for name, engine in candidates.items():
            speed = batch * flops / seconds[name] / 1e9
            int8_share = 100 * speed / peak["int8"] if engine.precision == "int8" else np.nan
            engine_rows.append(
                {
                    "engine": name,
                    "B": batch,
                    "ms per 1000 states": 1e6 * seconds[name] / batch,
                    "GFLOP/s": speed,
                    "% of fp32 peak": 100 * speed / peak["fp32"],
                    "% of int8 peak": int8_share if peak["int8"] else np.nan,
                    "max |Δ output|": quality[name][0],
                    "same argmin %": quality[name][1],
                }
            )
    return peak_rows, engine_rows
