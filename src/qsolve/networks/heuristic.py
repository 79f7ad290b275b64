"""A trained network as a heuristic, and loading one from a model folder.

A model folder holds ``model.safetensors`` (the weights, half precision) and ``config.json``
(the domain, the network's kind and architecture, and the training options).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qsolve.domains.base import Domain
from qsolve.errors import QsolveError
from qsolve.heuristics.base import Heuristic
from qsolve.networks.encoding import Baseline
from qsolve.networks.engines import Engine, int8_checked, make_engine
from qsolve.networks.resnet import Architecture, ResidualMLP
from qsolve.options import check_fits_in_memory

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT = "qsolve-model/1"  # the format this qsolve writes
READ_FORMATS = (FORMAT,)  # the formats it reads (every shipped model has its "format" field)
KINDS = ("q", "v")
CALIBRATION_STATES = 1000  # random-walk states that the ``auto`` engine is measured on


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise QsolveError(f"unknown device {name!r} (choose from auto, cpu, cuda)")
    if name == "cuda" and not torch.cuda.is_available():
        raise QsolveError("--device cuda was asked for, but torch sees no CUDA device")
    return torch.device(name)


class NetworkHeuristic(Heuristic):
    """A Q network (``kind="q"``: Q-values for all actions in one pass) or a V network (``"v"``).

    ``engine`` runs the forward pass (``torch``, ``onnx`` or ``auto``: the fastest exact one on
    this machine, measured once and cached); ``precision`` is ``fp32``, ``int8`` (CPU), ``fp16``
    or ``bf16`` (CUDA), or ``auto``: fp32, or int8 too if ``allow_int8`` (see ``int8_checked``).
    With ``symmetries``, every estimate is the mean of the network's over the domain's
    symmetries (``Domain.symmetries``): one pass over all the mapped states, |G| times the work.
    A network with a baseline (``ResidualMLP.baseline``) has it added to its output.
    With a ``floor`` (an admissible classical heuristic), estimates are raised to it: Q(s, a) is
    at least c(s, a) + floor(child), and infinite where the floor calls the child a dead end;
    the child states are made for it (``Domain.expand``), the network still runs once a state.
    """

    def __init__(
        self,
        domain: Domain,
        model: ResidualMLP,
        kind: str = "q",
        device: str | torch.device = "auto",
        heuristic_batch: int = 100_000,
        name: str = "network",
        scale: float = 1.0,
        precision: str = "fp32",
        engine: str = "torch",
        allow_int8: bool = False,
        symmetries: bool = False,
        floor: Heuristic | None = None,
    ) -> None:
        super().__init__(domain)
        expected = domain.num_actions if kind == "q" else 1
        if model.arch.input_dim != domain.encoding_dim or model.arch.output_dim != expected:
            raise QsolveError(f"the network's shape does not fit {domain.name} (kind {kind})")
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.arch = model.arch
        self.model = model.to(self.device)
        sample = None
        if engine == "auto" or precision == "auto":
            rng = np.random.default_rng(0)
            lengths = rng.integers(0, 30, size=CALIBRATION_STATES)
            sample = domain.encode(domain.random_walk(lengths, rng))
        self.engine: Engine = make_engine(
            model, model.arch.input_dim, engine, precision, self.device, sample, allow_int8
        )
        self.precision = self.engine.precision
        self.kind = kind
        self.q_in_one_pass = kind == "q"  # beam search ranks pairs by Q, else children by h
        self.heuristic_batch = max(1, int(heuristic_batch))
        self.baseline: Baseline | None = model.baseline
        if self.baseline is not None:
            name = f"{name} over {self.baseline.name}"
        self.name = name if floor is None else f"{name}, floor {floor.name}"
        self.floor = floor
        self.symmetry_maps = domain.symmetries() if symmetries else []
        if symmetries and len(self.symmetry_maps) < 2:
            raise QsolveError(f"{domain.name} has no symmetries to average the network over")
        # Below 1, estimates err low (towards admissible): Q* finds optimal paths more often,
        # for more nodes; the same as weighting the path cost by 1 / scale.
        self.scale = np.float32(scale)
        # Domains that keep the base class's applicability (every action, always) need no mask.
        self.every_action_applies = domain.every_action_applies

    def _forward(self, states: np.ndarray) -> np.ndarray:
        """The network output ``[N, output_dim]`` float32 (averaged over the symmetries, if
        any; plus the network's baseline, if it has one), in chunks of ``heuristic_batch``."""
        if self.symmetry_maps:
            out = self._symmetric_forward(states)
        else:
            out = self._plain_forward(states)
        if self.baseline is not None:
            out += self.baseline.estimates(states)
        return out * self.scale if self.scale != 1 else out

    def _plain_forward(self, states: np.ndarray) -> np.ndarray:
        out = np.empty((states.shape[0], self.arch.output_dim), dtype=np.float32)
        for lo in range(0, states.shape[0], self.heuristic_batch):
            chunk = states[lo : lo + self.heuristic_batch]
            out[lo : lo + len(chunk)] = self.engine(self.domain.encode(chunk))
        return out

    def _symmetric_forward(self, states: np.ndarray) -> np.ndarray:
        """The mean over the symmetries g of the output on g(s): action ``actions[i]`` of s gets
        output i of g(s) (a V network's single output is the state's)."""
        n = states.shape[0]
        raw = self._plain_forward(
            np.concatenate([states[:, cells] for cells, _ in self.symmetry_maps])
        )
        out = np.zeros((n, self.arch.output_dim), dtype=np.float32)
        for g, (_, actions) in enumerate(self.symmetry_maps):
            if self.kind == "q":
                out[:, actions] += raw[g * n : (g + 1) * n]
            else:
                out += raw[g * n : (g + 1) * n]
        out /= np.float32(len(self.symmetry_maps))
        return out

    def q_values(self, states: np.ndarray) -> np.ndarray:
        if self.kind == "v":
            return super().q_values(states)
        q = self._forward(states)
        if self.floor is not None:
            children, applicable = self.domain.expand(states)
            n, a, d = children.shape
            low = self.floor.values(children.reshape(n * a, d)).reshape(n, a)
            low = low + self.domain.action_costs[None, :]
            return np.where(applicable, np.maximum(q, low), np.inf).astype(np.float32)
        if self.every_action_applies:
            return q
        return np.where(self.domain.applicable(states), q, np.float32(np.inf))

    def values(self, states: np.ndarray) -> np.ndarray:
        if self.kind == "q":  # min_a Q(s, a), a chunk at a time: [N, A] can be large for A*
            step, min_q = self.heuristic_batch, super().values
            return np.concatenate(
                [min_q(states[lo : lo + step]) for lo in range(0, len(states), step)]
                or [np.empty(0, dtype=np.float32)]
            )
        h = self._forward(states)[:, 0]
        if self.floor is not None:
            h = np.maximum(h, self.floor.values(states)).astype(np.float32)
        return np.where(self.domain.is_goal(states), np.float32(0.0), h)


def read_config(path: str | Path) -> dict[str, Any]:
    """The config.json of the model folder ``path``; QsolveError if it is missing, unreadable or
    in a model format this qsolve does not read (``READ_FORMATS``)."""
    folder = Path(path)
    file = folder / CONFIG_FILE
    if not folder.is_dir():
        raise QsolveError(f"no model folder at {folder}")
    if not file.is_file() or not (folder / MODEL_FILE).is_file():
        raise QsolveError(
            f"{folder} is not a model folder: {MODEL_FILE} and {CONFIG_FILE} expected"
        )
    try:
        config = json.loads(file.read_text())
        _check_format(file, config)
        _check_architecture(Architecture(**config["architecture"]))
        if config["kind"] not in KINDS or not isinstance(config["domain"], str):
            raise ValueError(f"kind {config['kind']!r}")
        scale = config.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < 1e30:
            raise ValueError(f"scale {scale!r} is not a positive number")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise QsolveError(f"{file} is corrupted or not a qsolve model config ({error})") from None
    return dict(config)


def _check_format(file: Path, config: object) -> None:
    """QsolveError unless ``config`` names a model format this qsolve reads."""
    if not isinstance(config, dict):
        raise ValueError("not a JSON object")
    if config.get("format") not in READ_FORMATS:
        found = f"model format {config['format']!r}" if "format" in config else "no model format"
        raise QsolveError(
            f"{file} has {found}; this qsolve reads model format {', '.join(READ_FORMATS)}"
        )


# Far beyond any network qsolve trains (cube3 is 5000 x 1000 x 4 blocks); larger is a damaged file.
MAX_WIDTH = 1 << 17
MAX_BLOCKS = 1 << 10


def _check_architecture(arch: Architecture) -> None:
    """ValueError unless every size is an integer in range and the weights fit in memory."""
    limits = {
        "input_dim": MAX_WIDTH,
        "output_dim": MAX_WIDTH,
        "width1": MAX_WIDTH,
        "width2": MAX_WIDTH,
        "blocks": MAX_BLOCKS,
    }
    limits |= {"conv_channels": MAX_WIDTH, "conv_layers": MAX_BLOCKS}
    limits |= {"grid_height": MAX_WIDTH, "grid_width": MAX_WIDTH}
    for name, high in limits.items():
        value = getattr(arch, name)
        low = 0 if name == "blocks" or not arch.conv_channels or name == "conv_channels" else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} {value!r} is not an integer in {low}..{high}")
    if arch.conv_channels and arch.input_dim % arch.cells:
        raise ValueError(f"input_dim {arch.input_dim} is not a multiple of the grid's cells")
    weights = (
        arch.first_input * arch.width1
        + arch.width1 * arch.width2
        + 2 * arch.blocks * arch.width2**2
        + arch.width2 * arch.output_dim
    )
    check_fits_in_memory(f"the network in the config ({weights:,} weights)", 4 * weights)


def load_model(path: str | Path, domain: Domain) -> tuple[ResidualMLP, dict[str, Any]]:
    """The float32 network and config in the model folder ``path``, checked against ``domain``."""
    from safetensors.torch import load_file

    config = read_config(path)
    if config["domain"] != domain.name:
        raise QsolveError(f"model in {path} was trained for {config['domain']}, not {domain.name}")
    model = ResidualMLP(Architecture(**config["architecture"]))
    file = Path(path) / MODEL_FILE
    try:
        weights = load_file(str(file))
        model.load_state_dict({k: v.float() for k, v in weights.items()})
    except Exception as error:  # safetensors raises several types for damaged files
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise QsolveError(
            f"{file} is corrupted or does not match its config.json ({message})"
        ) from None
    model.eval()
    baseline = config.get("baseline")
    if baseline is not None:
        model.baseline = make_baseline(
            baseline, domain, str(config["kind"]), f"{Path(path) / CONFIG_FILE}: baseline"
        )
    return model, config


def make_baseline(name: object, domain: Domain, kind: str, what: str = "--baseline") -> Baseline:
    """The classical heuristic ``name`` as a network's baseline; QsolveError (prefixed with
    ``what``) unless it is one for ``domain`` that calls no state a dead end."""
    from qsolve.heuristics import get_heuristic  # the classical ones import no torch

    if not isinstance(name, str):
        raise QsolveError(f"{what} must name a classical heuristic, got {name!r}")
    try:
        heuristic = get_heuristic(name, domain)
    except QsolveError as error:
        raise QsolveError(f"{what}: {error}") from None
    if heuristic.has_dead_ends:
        raise QsolveError(
            f"{what}: {name} calls some states dead ends (infinite), so it cannot be a baseline"
        )
    return Baseline(heuristic, kind)


def load_heuristic(
    path: str | Path,
    domain: Domain,
    device: str = "auto",
    heuristic_batch: int = 100_000,
    scale: float | None = None,
    precision: str = "auto",
    engine: str = "auto",
    symmetries: bool | None = None,
    floor: str | None = None,
) -> NetworkHeuristic:
    """The trained network in the model folder ``path`` as a heuristic for ``domain``.

    ``scale`` multiplies the network's estimates; by default the model's own ``scale`` in
    config.json (1 unless set when the model was shipped).  ``engine`` and ``precision`` as in
    ``NetworkHeuristic``; ``precision="auto"`` allows int8 only where config.json says it was
    checked.  ``symmetries``: average over the domain's symmetries; by default as the model's
    config.json ``"symmetries"`` says (false if absent).  ``floor``: the name of an admissible
    classical heuristic that raises the estimates (see ``NetworkHeuristic``); by default the
    model's config.json ``"floor"`` (none if absent).
    """
    from qsolve.heuristics import get_heuristic  # the classical ones import no torch

    model, config = load_model(path, domain)
    if scale is None:
        scale = float(config.get("scale", 1.0))
    if not scale > 0:
        raise QsolveError(f"the heuristic scale must be positive, got {scale}")
    if symmetries is None:
        symmetries = config.get("symmetries", False)
        if not isinstance(symmetries, bool):
            raise QsolveError(
                f'{Path(path) / CONFIG_FILE}: "symmetries" must be true or false, got {symmetries!r}'
            )
    if floor is None:
        floor = config.get("floor")
    if floor is not None and not isinstance(floor, str):
        raise QsolveError(
            f'{Path(path) / CONFIG_FILE}: "floor" must name a classical heuristic, got {floor!r}'
        )
    try:
        floor_heuristic = None if floor is None else get_heuristic(floor, domain)
    except QsolveError as error:
        raise QsolveError(f"{Path(path) / CONFIG_FILE}: floor: {error}") from None
    name = f"network:{Path(path).name}"
    heuristic = NetworkHeuristic(
        domain,
        model,
        config["kind"],
        device,
        heuristic_batch,
        name,
        scale,
        precision,
        engine,
        allow_int8=int8_checked(config),
        symmetries=symmetries,
        floor=floor_heuristic,
    )
    heuristic.search_defaults = search_defaults(config, Path(path) / CONFIG_FILE)
    return heuristic


SEARCH_KEYS = (
    "algorithm",
    "weight",
    "batch_size",
    "beam_width",
    "fallback_weight",
    "fallback_after",
)


def search_defaults(config: dict[str, Any], file: Path) -> dict[str, Any]:
    """The recommended search settings in a model config's ``"search"`` entry, checked: the
    algorithm (Q* where not named), B, λ, and a fallback (``fallback_weight`` with
    ``fallback_after`` nodes, both or neither); for beam search λ and the beam width alone."""
    from qsolve.options import (
        check_algorithm,
        check_batch_size,
        check_beam_width,
        check_count,
        check_fallback_weight,
        check_weight,
    )

    search = config.get("search", {})
    if not isinstance(search, dict) or set(search) - set(SEARCH_KEYS):
        raise QsolveError(
            f'{file}: "search" must be an object with keys among {", ".join(SEARCH_KEYS)}'
        )
    try:
        checked: dict[str, Any] = {}
        if "algorithm" in search:
            checked["algorithm"] = check_algorithm(search["algorithm"])
        beam = checked.get("algorithm") == "beam"
        if beam != ("beam_width" in search):
            raise QsolveError("beam_width goes with algorithm beam, and beam search needs one")
        if beam and set(search) - {"algorithm", "weight", "beam_width"}:
            raise QsolveError("beam search takes weight and beam_width alone")
        if beam:
            checked["beam_width"] = check_beam_width(search["beam_width"])
        if "weight" in search:
            checked["weight"] = check_weight(search["weight"])
        if "batch_size" in search:
            checked["batch_size"] = check_batch_size(search["batch_size"])
        if ("fallback_weight" in search) != ("fallback_after" in search):
            raise QsolveError("fallback_weight and fallback_after go together")
        if "fallback_weight" in search:
            checked["fallback_weight"] = check_fallback_weight(search["fallback_weight"])
            checked["fallback_after"] = check_count("fallback_after", search["fallback_after"])
    except QsolveError as error:
        raise QsolveError(f'{file}: "search": {error}') from None
    return checked
