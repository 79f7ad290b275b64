"""The benchmark suites as a subpackage: no import cycle, and ``qsolve bench peers`` finds what it
runs (DeepXube's driver and set-up script, its environment) without a qsolve checkout."""

import ast
from pathlib import Path

import qsolve
from qsolve import cli
from qsolve.bench import peers

BENCH = Path(qsolve.__file__).resolve().parent / "bench"


def test_peers_support_files_come_from_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: no benchmarks/ here
    for name in ("deepxube_driver.py", "setup_deepxube.sh"):
        path = peers.support_file(name)
        assert path.is_file() and path.is_relative_to(BENCH / "peers_support")
        assert not path.is_relative_to(tmp_path)
    driver = peers.support_file("deepxube_driver.py").read_text()
    assert "import qsolve" not in driver and "from qsolve" not in driver  # runs in DeepXube's venv


def test_deepxube_venv_is_in_the_cache_folder_or_where_the_variable_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QSOLVE_DEEPXUBE_VENV", raising=False)
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path / "cache"))
    assert peers.deepxube_venv() == tmp_path / "cache" / "deepxube"
    monkeypatch.setenv("QSOLVE_DEEPXUBE_VENV", str(tmp_path / "dx"))
    assert peers.deepxube_python(install=False) == tmp_path / "dx" / "bin" / "python"
    script = peers.support_file("setup_deepxube.sh").read_text()
    assert 'VENV="${QSOLVE_DEEPXUBE_VENV:-${QSOLVE_CACHE:-$HOME/.cache/qsolve}/deepxube}"' in script


def test_bench_peers_runs_from_any_folder(tmp_path, monkeypatch):
    """The command line reaches the race with the package's driver and the cached environment."""
    venv = tmp_path / "cache" / "deepxube"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")  # present, so the set-up script is not run
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("QSOLVE_DEEPXUBE_VENV", raising=False)
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    calls = []
    monkeypatch.setattr(peers, "run_peers", lambda *args: calls.append(args))
    assert cli.main(["bench", "peers", "--out", str(tmp_path / "out")]) == 0
    [(_, out, python, driver)] = calls
    assert out == tmp_path / "out" and python == venv / "bin" / "python"
    assert driver == BENCH / "peers_support" / "deepxube_driver.py"


def _bench_imports(module: Path) -> set[str]:
    """The qsolve.bench modules that ``module`` imports at its top level."""
    names = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qsolve.bench."):
            names.add(node.module.removeprefix("qsolve.bench."))
    return names


def test_bench_modules_import_one_way():
    graph = {path.stem: _bench_imports(path) for path in BENCH.glob("*.py")}
    assert graph["report"] == set() and graph["instances"] == set()
    assert "peers" not in graph["suites"] and "suites" not in graph["peers"]
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in seen:
            for child in graph.get(name, ()):
                visit(child, (*path, name))
            seen.add(name)

    for name in graph:
        visit(name, ())
