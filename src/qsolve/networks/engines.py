"""Engines that run a network's forward pass: torch (CPU or CUDA) and ONNX Runtime (CPU).

Which one is fastest depends on the machine: on some CPUs torch's kernels reach half of what a
matrix product can, while ONNX Runtime reaches nearly all of it.  ``auto`` measures the candidates
once per machine and model, at the batch sizes search uses, and keeps the choice in the user's
cache folder (``$QSOLVE_CACHE`` or ``~/.cache/qsolve``), next to the ONNX exports, which are keyed
by the hash of the weights.  Every candidate ``auto`` may pick computes the same function as torch
in fp32 (checked on a sample when it is measured); int8 is a candidate only when asked for, or
when the model's config.json records that int8 was checked on its hard test set
(``"int8_checked"``, see ``int8_checked``).

``auto`` also measures how many states one call should take: a network whose layers are wide
(cube3-meta's 1884 outputs) runs a large batch faster in cache-sized chunks than in one call,
because every layer's output of a large batch leaves the cache.  The chunk size is measured
with the chosen engine and cached with it; in fp32 chunking does not change a single output
(each state's row is computed on its own), and int8 engines are never chunked.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from qsolve.errors import QsolveError
from qsolve.machine import cpu_name
from qsolve.options import ENGINES, PRECISIONS

# Bump when the exported graph or the choice's measurement changes, so old cache entries are unused.
EXPORT_VERSION = 3
CHOICE_VERSION = 2
# Batches that search hands the network: B=100 Q* steps, and lockstep or B=1000 steps.
CALIBRATION_BATCHES = (100, 1000)
# fp32 engines may differ by float rounding only; a larger deviation disqualifies a candidate.
FP32_TOLERANCE = 1e-4
# Rows per engine call that ``auto`` tries on a batch of CHUNK_PROBE states, against one call.
# The probe must be large: a batch's layer outputs leave the cache only beyond a few thousand
# states (cube3-meta's 1884 outputs: 30 MB at 4096 states, 62 MB at 8192).
CHUNK_CANDIDATES = (256, 1024)
CHUNK_PROBE = 8192
# Below this many probe states affordable in the budget, the network is large enough per state
# that its layer outputs are small next to its work, and a batch goes in one call.
CHUNK_PROBE_LEAST = 4096


class Engine(Protocol):
    """A network's forward pass: ``[N, input_dim]`` float32 -> ``[N, output_dim]`` float32."""

    name: str
    precision: str

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


def cache_dir() -> Path:
    """The user's cache folder for qsolve (``$QSOLVE_CACHE`` or ``~/.cache/qsolve``)."""
    return Path(os.environ.get("QSOLVE_CACHE", Path.home() / ".cache" / "qsolve"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def weights_hash(model: torch.nn.Module) -> str:
    """sha256 of the network's parameters (names, shapes, float32 values): the cache key."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        values = tensor.detach().float().cpu().contiguous().numpy()
        digest.update(f"{name}{tuple(values.shape)}".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def machine_key() -> str:
    """The CPU model, its core count and the threads the engines use: what speed depends on."""
    return f"{cpu_name()}|{os.cpu_count()} cores|{torch.get_num_threads()} threads"


def onnxruntime_available() -> bool:
    """Whether ONNX Runtime (and the onnx package that the export needs) can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def int8_checked(config: dict[str, Any]) -> bool:
    """Whether config.json says int8 was checked on the model's hard test set.

    The key is ``"int8_checked": {"states": ..., "fp32": {"solved": ..., "mean_cost": ...},
    "int8": {...}}`` with the figures measured; it is set by hand after such a check, never by
    training.  Only then may ``precision="auto"`` use int8.
    """
    checked = config.get("int8_checked")
    return isinstance(checked, dict) and bool(checked)


# -- torch ----------------------------------------------------------------------------------


def quantize(model: torch.nn.Module, precision: str, device: torch.device) -> torch.nn.Module:
    """``model`` on ``device`` at ``precision``: ``fp32`` as is; ``int8``, its linear layers
    dynamically quantized (weights int8, activations quantized per batch; CPU only); ``fp16`` or
    ``bf16``, half precision on a CUDA device."""
    if precision not in PRECISIONS[1:]:
        raise QsolveError(
            f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS[1:])})"
        )
    if precision == "fp32":
        return model.to(device)
    if precision in ("fp16", "bf16"):
        if device.type != "cuda":
            raise QsolveError(f"{precision} precision runs on a CUDA device only")
        dtype = torch.float16 if precision == "fp16" else torch.bfloat16
        return copy.deepcopy(model).to(device=device, dtype=dtype)
    if device.type != "cpu":
        raise QsolveError("int8 precision runs on the CPU only; use --precision fp32 with cuda")
    with warnings.catch_warnings():
        # torch marks dynamic quantization for a future removal; it works in the pinned release.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model).cpu(), {torch.nn.Linear}, dtype=torch.qint8
        )


class TorchEngine:
    """The network in torch, eager, on the CPU or a CUDA device."""

    name = "torch"

    def __init__(self, model: torch.nn.Module, precision: str, device: torch.device) -> None:
        self.precision = precision
        self.device = device
        self.model = quantize(model, precision, device)
        self.dtype = next(self.model.parameters(), torch.zeros(0)).dtype
        if precision == "int8":
            self.dtype = torch.float32

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            inputs = torch.from_numpy(x).to(self.device, self.dtype)
            return self.model(inputs).float().cpu().numpy()


# -- ONNX Runtime ---------------------------------------------------------------------------


def _export(model: torch.nn.Module, input_dim: int, path: Path) -> None:
    """Write the fp32 network to ``path`` as an ONNX graph with a free batch dimension."""
    with warnings.catch_warnings():
        # The TorchScript-based exporter handles this network (Gemm, LayerNormalization, Relu,
        # Softplus) without the extra packages that the torch.export-based one needs.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            copy.deepcopy(model).float().cpu().eval(),
            (torch.zeros(2, input_dim),),
            str(path),
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
            opset_version=17,
        )
    _strip_softplus(path)


SOFTPLUS_KEY = "qsolve.softplus_applied_outside"


def _strip_softplus(path: Path) -> None:
    """Remove the final Softplus node, so that the graph's output is the head's linear output,
    and mark the graph so that the engine applies softplus itself (``softplus_``): ONNX Runtime's
    Softplus kernel, and its Log kernel that an equivalent graph needs, evaluate one element at
    a time, and on cube3-meta's 1884 outputs they took a sixth to a third of the pass."""
    import onnx

    graph = onnx.load(str(path))
    nodes = list(graph.graph.node)
    output = graph.graph.output[0].name
    if not nodes or nodes[-1].op_type != "Softplus" or nodes[-1].output[0] != output:
        return
    last = nodes.pop()
    for node in nodes:  # the node that fed softplus now writes the graph's output
        for i, name in enumerate(node.output):
            if name == last.input[0]:
                node.output[i] = output
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    graph.metadata_props.add(key=SOFTPLUS_KEY, value="1")
    onnx.save(graph, str(path))


def softplus_(y: np.ndarray) -> np.ndarray:
    """``y`` (float32) overwritten with softplus(y) = max(y, 0) + log(1 + exp(-|y|)), the
    function torch's softplus computes (to float rounding), in numpy's vectorised kernels."""
    t = np.abs(y)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    # Against a row of zeros rather than a scalar: numpy's vectorised loop for two arrays is
    # faster here, with the same result bit for bit.
    np.maximum(y, np.zeros(y.shape[-1:], dtype=np.float32), out=y)
    y += t
    return y


def _quantize_onnx(src: Path, dst: Path) -> None:
    """ONNX Runtime's dynamic quantization of the fp32 graph: int8 weights, uint8 activations;
    the fp32 graph's marks (``SOFTPLUS_KEY``) are carried over."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # it logs advice on pre-processing that does not apply
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    marks = {p.key: p.value for p in onnx.load(str(src)).metadata_props}
    quantized = onnx.load(str(dst))
    have = {p.key for p in quantized.metadata_props}
    for key, value in marks.items():
        if key not in have:
            quantized.metadata_props.add(key=key, value=value)
    onnx.save(quantized, str(dst))


def onnx_file(model: torch.nn.Module, input_dim: int, precision: str, digest: str) -> Path:
    """The cached ONNX file of ``model`` at ``precision`` (exported once, on first use).

    Written under a temporary name and renamed, so that a reader sees a whole file or none.
    """
    path = cache_dir() / "onnx" / f"{digest[:32]}-v{EXPORT_VERSION}-{precision}.onnx"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fp32 = path.with_name(f"{path.name}.{os.getpid()}.fp32.tmp")
    int8 = path.with_name(f"{path.name}.{os.getpid()}.int8.tmp")
    try:
        _export(model, input_dim, fp32)
        if precision == "int8":
            _quantize_onnx(fp32, int8)
            os.replace(int8, path)
        else:
            os.replace(fp32, path)
    finally:
        fp32.unlink(missing_ok=True)
        int8.unlink(missing_ok=True)
    return path


class OnnxEngine:
    """The network in ONNX Runtime's CPU execution provider, on as many threads as torch uses."""

    name = "onnx"

    def __init__(self, model: torch.nn.Module, input_dim: int, precision: str, digest: str) -> None:
        if not onnxruntime_available():
            raise QsolveError(
                "--engine onnx needs ONNX Runtime: pip install onnxruntime onnx "
                "(or use --engine torch)"
            )
        if precision not in ("fp32", "int8"):
            raise QsolveError(f"the onnx engine runs fp32 or int8, not {precision}")
        self.precision = precision
        path = onnx_file(model, input_dim, precision, digest)
        try:
            self.session = self._session(path)
        except Exception:  # a damaged cache file (ONNX Runtime raises several types): redo it
            path.unlink(missing_ok=True)
            path = onnx_file(model, input_dim, precision, digest)
            try:
                self.session = self._session(path)
            except Exception as error:
                first = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise QsolveError(
                    f"ONNX Runtime cannot load the exported network ({first})"
                ) from None
        self.input = self.session.get_inputs()[0].name
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.softplus = metadata.get(SOFTPLUS_KEY) == "1"

    @staticmethod
    def _session(path: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = self.session.run(None, {self.input: np.ascontiguousarray(x, dtype=np.float32)})[0]
        out = np.asarray(out, dtype=np.float32)
        return softplus_(out) if self.softplus else out


class Chunked:
    """``engine`` on at most ``rows`` states per call: in fp32 the same outputs as one call
    (every state's row is computed alone), faster where a large batch's layer outputs overflow
    the cache.  Not for int8, whose dynamic quantization scales each call's batch as a whole."""

    def __init__(self, engine: Engine, rows: int) -> None:
        self.engine = engine
        self.rows = rows
        self.name = engine.name
        self.precision = engine.precision

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if len(x) <= self.rows:
            return self.engine(x)
        first = self.engine(x[: self.rows])
        out = np.empty((len(x), first.shape[1]), dtype=np.float32)
        out[: self.rows] = first
        for lo in range(self.rows, len(x), self.rows):
            out[lo : lo + self.rows] = self.engine(x[lo : lo + self.rows])
        return out


# -- choosing -------------------------------------------------------------------------------


def race(
    runs: Mapping[str, Callable[[], object]], budget: float, least: int = 3
) -> dict[str, float]:
    """The fastest time of each run, measured in interleaved rounds (one run of each per round,
    after a warm-up round) for about ``budget`` seconds, so that a busy spell on a shared machine
    slows every candidate alike instead of one."""
    for run in runs.values():
        run()
    best = dict.fromkeys(runs, float("inf"))
    started, rounds = time.perf_counter(), 0
    while rounds < least or (time.perf_counter() - started < budget and rounds < 100):
        for name, run in runs.items():
            began = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - began)
        rounds += 1
    return best


def _seconds_per_state(
    candidates: dict[str, Engine], sample: np.ndarray, budget: float
) -> dict[str, float]:
    """Per candidate: its best seconds per state, summed over the calibration batches."""
    total = dict.fromkeys(candidates, 0.0)
    for batch in CALIBRATION_BATCHES:
        x = sample[:batch]
        runs = {name: partial(engine, x) for name, engine in candidates.items()}
        for name, seconds in race(runs, budget / len(CALIBRATION_BATCHES), least=2).items():
            total[name] += seconds / len(x)
    return total


def _choices_file() -> Path:
    return cache_dir() / "engines.json"


def _read_choices() -> dict[str, Any]:
    try:
        choices = json.loads(_choices_file().read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return choices if isinstance(choices, dict) else {}


@dataclass(frozen=True)
class EngineKind:
    """An engine in the catalog: its name, one line of help, how it is built, and what it needs."""

    name: str
    help: str
    # (model, input_dim, precision, device, weights hash) -> Engine
    build: Callable[[torch.nn.Module, int, str, torch.device, str], Engine]
    cpu_only: bool  # runs on the CPU alone
    available: Callable[[], bool]  # whether its packages are installed


def _torch(
    model: torch.nn.Module, input_dim: int, precision: str, device: torch.device, digest: str
) -> Engine:
    return TorchEngine(model, precision, device)


def _onnx(
    model: torch.nn.Module, input_dim: int, precision: str, device: torch.device, digest: str
) -> Engine:
    return OnnxEngine(model, input_dim, precision, digest)


# The engines ``make_engine`` builds and ``auto`` races, in the order ``auto`` tries them;
# ``qsolve.options.ENGINES`` names them (with ``auto``) for the API and the command line.
ENGINE_KINDS: dict[str, EngineKind] = {
    kind.name: kind
    for kind in (
        EngineKind("torch", "torch, eager, on the CPU or CUDA", _torch, False, lambda: True),
        EngineKind(
            "onnx", "ONNX Runtime on the CPU (fp32, int8)", _onnx, True, onnxruntime_available
        ),
    )
}


def _build(
    model: torch.nn.Module,
    input_dim: int,
    engine: str,
    precision: str,
    device: torch.device,
    digest: str,
) -> Engine:
    kind = ENGINE_KINDS[engine]
    if kind.cpu_only and device.type != "cpu":
        raise QsolveError(
            f"the {engine} engine runs on the CPU; use --engine torch with {device.type}"
        )
    return kind.build(model, input_dim, precision, device, digest)


def make_engine(
    model: torch.nn.Module,
    input_dim: int,
    engine: str = "auto",
    precision: str = "auto",
    device: torch.device | None = None,
    sample: np.ndarray | None = None,
    allow_int8: bool = False,
    budget: float = 1.0,
) -> Engine:
    """The engine that runs ``model``: the one asked for, or with ``auto`` the fastest exact one.

    ``precision="auto"`` means fp32, or int8 too when ``allow_int8`` (the model's config says
    int8 was checked).  ``sample`` (``[N, input_dim]`` float32, N ≥ 1000 is best) is what
    ``auto`` measures on; the choice, and the rows per call that run a large batch fastest with
    it (``Chunked``), are cached per machine and model.
    """
    if engine not in ENGINES:
        raise QsolveError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if precision not in PRECISIONS:
        raise QsolveError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    device = device or torch.device("cpu")
    digest = weights_hash(model) if engine != "torch" else ""
    if engine != "auto" and precision != "auto":
        return _build(model, input_dim, engine, precision, device, digest)
    if device.type != "cpu":  # ONNX Runtime's CPU provider is no GPU engine
        return TorchEngine(model, "fp32" if precision == "auto" else precision, device)
    precisions = ["fp32", "int8"] if precision == "auto" and allow_int8 else [precision]
    precisions = ["fp32" if p == "auto" else p for p in precisions]
    if engine == "auto":  # every engine whose packages are here
        engines = [name for name, kind in ENGINE_KINDS.items() if kind.available()]
    else:
        engines = [engine]
    candidates = [(e, p) for p in precisions for e in engines]
    if len(candidates) == 1 and engine != "auto":
        return _build(model, input_dim, *candidates[0], device, digest)

    key = f"{digest}|{machine_key()}|{'+'.join(f'{e}:{p}' for e, p in candidates)}"
    key += f"|torch {torch.__version__}|v{CHOICE_VERSION}|export v{EXPORT_VERSION}"
    if "onnx" in engines:
        import onnxruntime

        key += f"|onnxruntime {onnxruntime.__version__}"
    cached = _read_choices().get(key)
    if (
        isinstance(cached, dict)
        and (cached.get("engine"), cached.get("precision")) in candidates
        and _valid_chunk(cached.get("chunk", 0))
    ):
        chosen = _build(model, input_dim, cached["engine"], cached["precision"], device, digest)
        return _chunked(chosen, cached["chunk"])

    if sample is None or len(sample) == 0:
        sample = np.zeros((max(CALIBRATION_BATCHES), input_dim), dtype=np.float32)
    repeats = -(-CHUNK_PROBE // len(sample))
    sample = np.ascontiguousarray(np.tile(sample, (repeats, 1))[:CHUNK_PROBE])
    reference = TorchEngine(model, "fp32", device)(sample[:100])
    built: dict[str, Engine] = {}
    for name, prec in candidates:
        candidate = _build(model, input_dim, name, prec, device, digest)
        if prec == "fp32" and not np.allclose(
            candidate(sample[:100]), reference, rtol=FP32_TOLERANCE, atol=FP32_TOLERANCE
        ):
            continue  # not exact: never chosen
        built[f"{name}:{prec}"] = candidate
    # With one candidate (auto without ONNX Runtime) there is nothing to choose: a short timing,
    # for the chunk race's budget.
    timings = _seconds_per_state(built, sample, budget if len(built) > 1 else 0.0)
    best = min(timings, key=timings.__getitem__)
    per_state = timings[best] / len(CALIBRATION_BATCHES)
    chunk, chunk_timings = _best_chunk(built[best], sample, per_state, budget)
    choices = _read_choices()
    name, prec = best.split(":")
    choices[key] = {
        "engine": name,
        "precision": prec,
        "chunk": chunk,
        "us_per_state": {k: round(v * 1e6, 3) for k, v in timings.items()},
        "us_per_state_by_chunk": chunk_timings,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_atomic(_choices_file(), json.dumps(choices, indent=1).encode())
    return _chunked(built[best], chunk)


def _valid_chunk(chunk: object) -> bool:
    return chunk is None or (isinstance(chunk, int) and not isinstance(chunk, bool) and chunk > 0)


def _chunked(engine: Engine, chunk: int | None) -> Engine:
    return engine if chunk is None else Chunked(engine, chunk)


def _best_chunk(
    engine: Engine, sample: np.ndarray, seconds_per_state: float, budget: float
) -> tuple[int | None, dict[str, float]]:
    """The rows per call (or None: one call) that run a large batch fastest with ``engine``, and
    the microseconds per state of each size tried.

    Measured on as many of ``sample``'s states (up to CHUNK_PROBE, a power of two) as two runs
    of each size afford in about three times ``budget`` at ``seconds_per_state``; where that is
    fewer than CHUNK_PROBE_LEAST the network's work per state is large and one call is kept.  int8
    engines are never chunked: dynamic quantization scales each batch by its own range, so a
    chunk's outputs would differ from the whole batch's.
    """
    if engine.precision != "fp32":
        return None, {}
    sizes = len(CHUNK_CANDIDATES) + 1
    affordable = 3 * budget / (2 * sizes * max(seconds_per_state, 1e-9))
    probe = min(len(sample), CHUNK_PROBE, 1 << int(np.log2(max(affordable, 1))))
    if probe < CHUNK_PROBE_LEAST:
        return None, {}
    x = sample[:probe]
    runs: dict[str, Callable[[], object]] = {"one call": partial(engine, x)}
    for rows in CHUNK_CANDIDATES:
        if rows < probe:
            runs[str(rows)] = partial(Chunked(engine, rows), x)
    seconds = race(runs, budget, least=1)
    fastest = min(seconds, key=seconds.__getitem__)
    microseconds = {k: round(v * 1e6 / probe, 3) for k, v in seconds.items()}
    return (None if fastest == "one call" else int(fastest)), microseconds


def describe(engine: Engine) -> str:
    """``onnx fp32``, ``torch int8``, ``onnx fp32 in chunks of 256``: what runs the network."""
    chunks = f" in chunks of {engine.rows}" if isinstance(engine, Chunked) else ""
    return f"{engine.name} {engine.precision}{chunks}"
