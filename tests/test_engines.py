"""Engines for the network's forward pass: torch and ONNX Runtime compute the same heuristic, the
ONNX export and the ``auto`` choice are cached and survive damaged cache files, bad choices are
one-line errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from qsolve import api
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.networks import Architecture, ResidualMLP, engines, load_heuristic
from qsolve.training.checkpoint import save_model


def small_model(seed: int = 0) -> ResidualMLP:
    torch.manual_seed(seed)
    return ResidualMLP(Architecture(get_domain("puzzle8").encoding_dim, 4, 32, 16, 1))


def model_folder(path):
    """A small puzzle8 Q network saved as a model folder (half-precision weights, as shipped)."""
    path.mkdir(parents=True, exist_ok=True)
    model = small_model()
    config = {"format": "qsolve-model/1", "domain": "puzzle8", "kind": "q"}
    save_model(path, model, config | {"architecture": model.arch.to_dict()})
    return path


def walks(domain_name: str, n: int, seed: int = 0, longest: int = 30) -> np.ndarray:
    domain = get_domain(domain_name)
    rng = np.random.default_rng(seed)
    return domain.random_walk(rng.integers(0, longest + 1, size=n), rng)


needs_onnxruntime = pytest.mark.skipif(
    not engines.onnxruntime_available(), reason="onnxruntime is not installed"
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder for the exports and the ``auto`` choices."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("QSOLVE_CACHE", str(folder))
    return folder


@needs_onnxruntime
@pytest.mark.parametrize("domain_name", ["puzzle8", "cube2", "sokoban"])
def test_torch_and_onnx_find_the_same_solutions_with_the_same_node_counts(domain_name, cache):
    domain = get_domain(domain_name)
    model = api.shipped_model(domain)
    by_engine = {
        name: load_heuristic(model, domain, engine=name, precision="fp32")
        for name in ("torch", "onnx")
    }
    states = walks(domain_name, 12, seed=4, longest=14)
    q = {name: h.q_values(states) for name, h in by_engine.items()}
    finite = np.isfinite(q["torch"])
    assert np.array_equal(finite, np.isfinite(q["onnx"]))
    assert np.abs(q["torch"][finite] - q["onnx"][finite]).max() <= 1e-5
    for batch_size in (1, 100):
        results = {
            name: api.solve(domain, states, heuristic=h, batch_size=batch_size, max_nodes=20_000)
            for name, h in by_engine.items()
        }
        for a, b in zip(results["torch"], results["onnx"], strict=True):
            assert a.solved and b.solved
            assert a.actions == b.actions and a.cost == b.cost
            assert a.nodes_generated == b.nodes_generated


def count_exports(monkeypatch) -> list:
    """The ONNX exports made from now on (their paths), counted by wrapping ``engines._export``."""
    made = []
    export = engines._export

    def counted(model, input_dim, path):
        made.append(path)
        export(model, input_dim, path)

    monkeypatch.setattr(engines, "_export", counted)
    return made


@needs_onnxruntime
def test_the_export_is_cached_and_reused(cache, monkeypatch):
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    exports = count_exports(monkeypatch)
    first = load_heuristic(folder, domain, engine="onnx", precision="fp32")
    assert len(exports) == 1
    (onnx_file,) = (cache / "onnx").glob("*.onnx")
    mtime = onnx_file.stat().st_mtime_ns
    second = load_heuristic(folder, domain, engine="onnx", precision="fp32")
    assert len(exports) == 1 and onnx_file.stat().st_mtime_ns == mtime
    states = walks("puzzle8", 20)
    assert np.array_equal(first.q_values(states), second.q_values(states))
    assert not list(cache.glob("**/*.tmp"))  # written atomically, nothing left behind


@needs_onnxruntime
@pytest.mark.parametrize("damage", [b"", b"not an onnx graph", b"\x08\x07" * 100])
def test_a_damaged_export_is_made_again(cache, damage, monkeypatch):
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    reference = load_heuristic(folder, domain, engine="torch", precision="fp32")
    load_heuristic(folder, domain, engine="onnx", precision="fp32")
    (onnx_file,) = (cache / "onnx").glob("*.onnx")
    onnx_file.write_bytes(damage)
    exports = count_exports(monkeypatch)
    h = load_heuristic(folder, domain, engine="onnx", precision="fp32")
    assert len(exports) == 1
    states = walks("puzzle8", 20)
    np.testing.assert_allclose(h.q_values(states), reference.q_values(states), atol=1e-5)


@needs_onnxruntime
def test_auto_measures_once_and_keeps_its_choice(cache, monkeypatch):
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    first = load_heuristic(folder, domain)
    assert first.engine.precision == "fp32"  # int8 was not checked for this model
    choices = json.loads((cache / "engines.json").read_text())
    ((key, choice),) = choices.items()
    assert "torch:fp32+onnx:fp32" in key and choice["engine"] == first.engine.name

    def no_measuring(*args, **kwargs):
        raise AssertionError("auto measured again")

    monkeypatch.setattr(engines, "_seconds_per_state", no_measuring)
    assert load_heuristic(folder, domain).engine.name == first.engine.name
    (cache / "engines.json").write_text("{damaged")  # a damaged choice file: measure again
    monkeypatch.undo()
    monkeypatch.setenv("QSOLVE_CACHE", str(cache))
    assert load_heuristic(folder, domain).engine.precision == "fp32"
    assert key in json.loads((cache / "engines.json").read_text())


@needs_onnxruntime
def test_auto_considers_int8_only_where_the_config_says_it_was_checked(cache):
    folder = model_folder(cache.parent / "model")
    config = json.loads((folder / "config.json").read_text())
    config["int8_checked"] = {"states": 100, "fp32": {"solved": 1.0}, "int8": {"solved": 1.0}}
    (folder / "config.json").write_text(json.dumps(config))
    load_heuristic(folder, get_domain("puzzle8"))
    ((key, choice),) = json.loads((cache / "engines.json").read_text()).items()
    assert "torch:int8" in key and "onnx:int8" in key
    assert set(choice["us_per_state"]) == {"torch:fp32", "onnx:fp32", "torch:int8", "onnx:int8"}


@needs_onnxruntime
def test_int8_on_request_runs_the_faster_int8_engine(cache):
    folder = model_folder(cache.parent / "model")
    h = load_heuristic(folder, get_domain("puzzle8"), precision="int8")
    assert h.engine.precision == "int8"
    fp32 = load_heuristic(folder, get_domain("puzzle8"), engine="torch", precision="fp32")
    states = walks("puzzle8", 50)
    q, exact = h.q_values(states), fp32.q_values(states)
    assert not np.array_equal(q, exact)  # quantized
    finite = np.isfinite(exact)
    assert np.array_equal(finite, np.isfinite(q))
    assert np.abs(q[finite] - exact[finite]).max() < 0.1 * exact[finite].max()


def test_without_onnxruntime_onnx_is_a_clear_error_and_auto_uses_torch(cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    with pytest.raises(QsolveError, match="needs ONNX Runtime: pip install onnxruntime"):
        load_heuristic(folder, domain, engine="onnx")
    assert load_heuristic(folder, domain).engine.name == "torch"


def test_unknown_engine_or_precision_is_an_error(cache):
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    with pytest.raises(QsolveError, match="unknown engine 'tensorrt'"):
        api.load_heuristic(folder, domain, engine="tensorrt")
    with pytest.raises(QsolveError, match="unknown engine"):
        api.load_heuristic("manhattan", domain, engine="")
    with pytest.raises(QsolveError, match="unknown precision 'int4'"):
        load_heuristic(folder, domain, precision="int4")
    with pytest.raises(QsolveError, match="CUDA device only"):
        load_heuristic(folder, domain, engine="torch", precision="fp16", device="cpu")
    assert api.ENGINES == engines.ENGINES


def test_bad_engine_on_the_command_line_is_one_line_and_status_2(capsys, cache):
    code = main(["solve", "puzzle8", "--random-walk", "3", "--engine", "fast"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("qsolve: error: unknown engine 'fast'")


@needs_onnxruntime
def test_the_command_line_solves_with_each_engine(capsys, cache):
    outputs = []
    for engine in ("torch", "onnx", "auto"):
        argv = ["solve", "cube2", "--random-walk", "8", "--count", "3", "--json"]
        code = main([*argv, "--engine", engine, "--precision", "fp32"])
        assert code == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        outputs.append([(r["moves"], r["nodes_generated"]) for r in rows])
        assert all(r["solved"] for r in rows)
    assert outputs[0] == outputs[1] == outputs[2]


def test_weights_hash_follows_the_weights():
    a, b = small_model(seed=0), small_model(seed=0)
    assert engines.weights_hash(a) == engines.weights_hash(b)
    with torch.no_grad():
        b.head.bias[0] += 1e-3
    assert engines.weights_hash(a) != engines.weights_hash(b)


def test_flops_count_every_linear_layer():
    from qsolve.networks import peak

    arch = small_model().arch  # 81 -> 32 -> 16, one block of two 16x16 layers, 4 actions
    assert peak.layer_shapes(arch) == [(81, 32), (32, 16), (16, 16), (16, 16), (16, 4)]
    assert peak.flops_per_state(arch) == 2 * (81 * 32 + 32 * 16 + 2 * 16 * 16 + 16 * 4)
    linear = [m for m in small_model().modules() if isinstance(m, torch.nn.Linear)]
    n_weights = sum(m.weight.numel() for m in linear)
    assert peak.flops_per_state(arch) == 2 * n_weights


@needs_onnxruntime
def test_the_peak_measurement_reports_every_engine_and_library(cache):
    from qsolve.networks import peak

    model = small_model()
    sample = get_domain("puzzle8").encode(walks("puzzle8", 50))
    peaks, rows = peak.measure(model, sample, (10, 100), budget=0.01)
    libraries = {(r["library"], r["precision"]) for r in peaks}
    assert {("numpy (OpenBLAS)", "fp32"), ("torch", "fp32"), ("onnxruntime", "int8")} <= libraries
    assert {r["engine"] for r in rows} == {"torch fp32", "torch int8", "onnx fp32", "onnx int8"}
    for row in rows:
        assert row["GFLOP/s"] > 0 and row["% of fp32 peak"] > 0
        if row["engine"].endswith("fp32"):
            assert row["max |Δ output|"] <= 1e-5 and row["same argmin %"] == 100


@needs_onnxruntime
def test_the_export_leaves_softplus_to_the_engine_in_fp32_and_int8(cache):
    import onnx

    model = small_model()
    digest = engines.weights_hash(model)
    x = get_domain("puzzle8").encode(walks("puzzle8", 200))
    reference = engines.TorchEngine(model, "fp32", torch.device("cpu"))(x)
    for precision in ("fp32", "int8"):
        path = engines.onnx_file(model, model.arch.input_dim, precision, digest)
        graph = onnx.load(str(path))
        assert "Softplus" not in {node.op_type for node in graph.graph.node}
        assert {p.key: p.value for p in graph.metadata_props}[engines.SOFTPLUS_KEY] == "1"
        out = engines.OnnxEngine(model, model.arch.input_dim, precision, digest)(x)
        assert out.min() >= 0  # softplus applied: cost-to-go estimates are never negative
        tolerance = 1e-5 if precision == "fp32" else 0.1 * reference.max()
        assert np.abs(out - reference).max() <= tolerance


def test_softplus_matches_torch_on_every_range():
    y = np.linspace(-120, 120, 100_000, dtype=np.float32).reshape(1000, 100)
    expected = torch.nn.functional.softplus(torch.from_numpy(y)).numpy()
    got = engines.softplus_(y.copy())
    np.testing.assert_allclose(got, expected, rtol=2e-7, atol=1e-7)


@pytest.mark.parametrize("shape", [(1000, 100), (7, 1884), (50,)])
def test_softplus_is_the_formula_bit_for_bit(shape):
    # max(y, 0) + log1p(exp(-|y|)) written out with a scalar zero, against the engine's in-place
    # form (which takes the maximum against a row of zeros), signed zeros and infinities included.
    rng = np.random.default_rng(4)
    y = (rng.standard_normal(shape) * 40).astype(np.float32)
    y.reshape(-1)[:5] = [0.0, -0.0, np.inf, -np.inf, -300.0]
    expected = np.maximum(y, np.float32(0)) + np.log1p(np.exp(-np.abs(y)))
    got = engines.softplus_(y.copy())
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("engine_name", ["torch", "onnx"])
def test_a_chunked_engine_gives_the_outputs_and_search_results_of_one_call(cache, engine_name):
    if engine_name == "onnx" and not engines.onnxruntime_available():
        pytest.skip("onnxruntime is not installed")
    domain = get_domain("puzzle8")
    whole = load_heuristic(api.shipped_model(domain), domain, engine=engine_name, precision="fp32")
    chunked = load_heuristic(
        api.shipped_model(domain), domain, engine=engine_name, precision="fp32"
    )
    chunked.engine = engines.Chunked(whole.engine, 7)
    assert engines.describe(chunked.engine) == f"{engine_name} fp32 in chunks of 7"
    states = walks("puzzle8", 40, seed=5, longest=20)
    q_whole, q_chunked = whole.q_values(states), chunked.q_values(states)
    finite = np.isfinite(q_whole)
    assert np.array_equal(finite, np.isfinite(q_chunked))
    np.testing.assert_allclose(q_chunked[finite], q_whole[finite], rtol=1e-6, atol=1e-6)
    for batch_size in (1, 50):
        a = api.solve(domain, states[:8], heuristic=whole, batch_size=batch_size)
        b = api.solve(domain, states[:8], heuristic=chunked, batch_size=batch_size)
        assert [(r.actions, r.cost, r.nodes_generated) for r in a] == [
            (r.actions, r.cost, r.nodes_generated) for r in b
        ]


@needs_onnxruntime
def test_auto_measures_the_chunk_size_once_and_keeps_it(cache, monkeypatch):
    folder = model_folder(cache.parent / "model")
    domain = get_domain("puzzle8")
    real_race = engines.race

    def chunks_of_256_win(runs, budget, least=3):
        seconds = real_race(runs, 0.0, least=1)
        if "256" in runs:  # the chunk race: make 256 rows per call the clear winner
            seconds = {name: (0.001 if name == "256" else 1.0) for name in seconds}
        return seconds

    monkeypatch.setattr(engines, "race", chunks_of_256_win)
    first = load_heuristic(folder, domain)
    assert isinstance(first.engine, engines.Chunked) and first.engine.rows == 256
    (choice,) = json.loads((cache / "engines.json").read_text()).values()
    assert choice["chunk"] == 256
    assert set(choice["us_per_state_by_chunk"]) == {"one call", "256", "1024"}

    def no_measuring(*args, **kwargs):
        raise AssertionError("auto measured again")

    monkeypatch.setattr(engines, "race", no_measuring)
    again = load_heuristic(folder, domain)
    assert isinstance(again.engine, engines.Chunked) and again.engine.rows == 256
    states = walks("puzzle8", 600)  # more than one chunk
    np.testing.assert_array_equal(again.q_values(states), first.q_values(states))


@needs_onnxruntime
def test_int8_and_large_networks_are_not_chunked(cache):
    model = small_model()
    sample = get_domain("puzzle8").encode(walks("puzzle8", 100)).astype(np.float32)
    sample = np.tile(sample, (41, 1))
    int8 = engines.TorchEngine(model, "int8", torch.device("cpu"))
    assert engines._best_chunk(int8, sample, 1e-6, budget=0.01) == (None, {})
    fp32 = engines.TorchEngine(model, "fp32", torch.device("cpu"))
    # 10 ms per state: a race of every size on 2048 states would take minutes
    assert engines._best_chunk(fp32, sample, 1e-2, budget=1.0) == (None, {})
    rows, measured = engines._best_chunk(fp32, sample, 1e-6, budget=0.01)
    assert rows in (None, *engines.CHUNK_CANDIDATES)
    assert set(measured) == {"one call", *map(str, engines.CHUNK_CANDIDATES)}
