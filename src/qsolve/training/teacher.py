"""Learning from another model: teacher targets and warm starts.

- ``--targets teacher --teacher M``: y(s, a) = c(s, a) + h_M(child), where h_M is the trained
  model M's cost-to-go (its minimum over its own actions for a Q network).  No bootstrapping, so
  the targets are as good as M from the first step: a model for a larger action space (cube3-meta)
  learns from one for the base actions (cube3), and a small network from a large one.
- ``--init-from M``: start from M's weights: every layer of the trunk, and the output rows of the
  actions both domains name alike; the rows of new actions start as the mean of the copied ones,
  so that their first estimates are the model's typical cost-to-go and not zero.

M is a model folder or the name of a shipped model.  Its domain must hold the same states as the
one trained: the same domain, or the domain that domain's walks take (cube3 for cube3-meta).
A teacher may also be a classical heuristic of the domain (``--teacher manhattan``): a network
fitted to it starts TD training from values that rank deep states from the first step, rather
than from one flat guess on the states its targets have not reached yet
(experiments/training-runs/cpu-puzzle48-manhattan/ has what it did, and did not do, for puzzle48).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from qsolve.domains import Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import CLASSICAL, Heuristic, get_heuristic
from qsolve.networks.heuristic import load_model, read_config
from qsolve.networks.resnet import Architecture, ResidualMLP
from qsolve.paths import MODELS_DIR


@dataclass
class Teacher:
    """A frozen network, or a classical heuristic, whose values make the targets."""

    network: ResidualMLP | None
    kind: str  # "q" or "v" (a network), "classical" (``heuristic``)
    same_domain: bool  # the student's applicability masks apply to its actions
    heuristic: Heuristic | None = None  # the classical heuristic's cost-to-go of a state


def model_folder(spec: str) -> Path:
    """A model folder: ``spec`` itself, or the shipped model of that name."""
    if not spec.strip():
        raise QsolveError("a model folder or shipped model name expected, got an empty string")
    path = Path(spec)
    if path.is_dir():
        return path
    shipped = MODELS_DIR / spec
    if "/" not in spec and (shipped / "config.json").is_file():
        return shipped
    raise QsolveError(f"no model folder at {spec} (and no shipped model of that name)")


def _compatible_domain(spec: str, domain: Domain, option: str) -> tuple[Path, Domain, dict]:
    """The folder, domain and config of model ``spec``, which must hold ``domain``'s states."""
    folder = model_folder(spec)
    config = read_config(folder)
    own = get_domain(config["domain"])
    if own.name not in (domain.name, domain.walk_domain.name):
        allowed = " or ".join(dict.fromkeys([domain.name, domain.walk_domain.name]))
        raise QsolveError(
            f"{option} {spec}: a model of {own.name} cannot be used for {domain.name} "
            f"(its states differ; use a model of {allowed})"
        )
    if Architecture(**config["architecture"]).input_dim != domain.encoding_dim:
        raise QsolveError(f"{option} {spec}: its input is not a {domain.name} state")
    return folder, own, config


def load_teacher(spec: str, domain: Domain, device: torch.device) -> Teacher:
    """The teacher ``spec`` for training ``domain``: a model, frozen, on ``device``, or the
    classical heuristic of that name (where no model folder has the name)."""
    if spec in CLASSICAL and not Path(spec).is_dir():
        return Teacher(None, "classical", True, get_heuristic(spec, domain))
    folder, own, config = _compatible_domain(spec, domain, "--teacher")
    if own.name != domain.name and not own.every_action_applies:
        raise QsolveError(f"--teacher {spec}: {own.name} has actions that do not always apply")
    network, _ = load_model(folder, own)
    network.requires_grad_(False)
    return Teacher(network.to(device), config["kind"], own.name == domain.name)


def init_sizes(spec: str, domain: Domain) -> tuple[int, ...]:
    """The network sizes of model ``spec`` (checked to fit ``domain``)."""
    _, _, config = _compatible_domain(spec, domain, "--init-from")
    arch = config["architecture"]
    conv = (int(arch.get("conv_channels", 0)), int(arch.get("conv_layers", 0)))
    return (int(arch["width1"]), int(arch["width2"]), int(arch["blocks"]), *conv)


def init_weights(online: ResidualMLP, spec: str, domain: Domain, kind: str) -> int:
    """Copy model ``spec``'s weights into ``online`` (see the module's docstring); returns the
    number of output rows copied."""
    folder, own, config = _compatible_domain(spec, domain, "--init-from")
    if config["kind"] != kind:
        raise QsolveError(f"--init-from {spec}: a {config['kind']} network, not a {kind} network")
    source, _ = load_model(folder, own)
    if source.baseline is not None:
        raise QsolveError(
            f"--init-from {spec}: its network is a residual over {source.baseline.name}; "
            "continue it with --resume from a copy of its folder instead"
        )
    theirs, ours = source.arch, online.arch
    if (theirs.width1, theirs.width2, theirs.blocks) != (ours.width1, ours.width2, ours.blocks):
        raise QsolveError(
            f"--init-from {spec}: its sizes ({theirs.width1}, {theirs.width2}, {theirs.blocks} "
            f"blocks) differ from this run's ({ours.width1}, {ours.width2}, {ours.blocks} blocks)"
        )
    weights = source.state_dict()
    head_w, head_b = weights.pop("head.weight"), weights.pop("head.bias")
    if kind == "q":
        index = {name: i for i, name in enumerate(own.action_names)}
        pairs = [(i, index[n]) for i, n in enumerate(domain.action_names) if n in index]
    else:
        pairs = [(0, 0)]
    if not pairs:
        raise QsolveError(f"--init-from {spec}: no action of {domain.name} is one of its actions")
    mine, src = (torch.tensor(p) for p in zip(*pairs, strict=True))
    weights["head.weight"] = head_w.mean(dim=0, keepdim=True).repeat(ours.output_dim, 1)
    weights["head.bias"] = head_b.mean().repeat(ours.output_dim)
    weights["head.weight"][mine] = head_w[src]
    weights["head.bias"][mine] = head_b[src]
    online.load_state_dict(weights)
    return len(pairs)
