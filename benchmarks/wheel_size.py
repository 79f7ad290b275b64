"""The size of the distributions ``python -m build`` makes, against PyPI's file limit.

    .venv/bin/python benchmarks/wheel_size.py [--no-isolation] [--limit-mib 100] [--keep DIR]

Copies the checkout's files (tracked, and untracked ones git does not ignore, so that a model
not yet committed counts) into a temporary folder, builds the sdist and the wheel there, and
prints each file's size and the shipped models' share of the wheel.  It checks that the wheel
holds every shipped model whole (each folder of ``src/qsolve/models`` with its config.json and
model.safetensors, byte for byte).  Exit status 1 where a file is over PyPI's default limit of
100 MiB or a model is missing, 2 where the build itself fails.  ``--no-isolation`` builds with
this environment's setuptools instead of fresh build requirements (faster, no package index);
``--limit-mib`` sets another limit (a project can ask PyPI for more).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path("src/qsolve/models")
MODEL_FILES = ("config.json", "model.safetensors")
# PyPI's default upload limit per file (warehouse's MAX_FILESIZE), unless a project asks for more.
LIMIT_MIB = 100


def checkout_files(root: Path) -> list[Path]:
    """The files of the checkout that a release would hold: tracked or untracked-not-ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout
    paths = [Path(p) for p in listed.decode().split("\0") if p]
    return sorted(p for p in dict.fromkeys(paths) if (root / p).is_file())


def copy_tree(root: Path, files: list[Path], into: Path) -> None:
    for path in files:
        (into / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / path, into / path)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_problems(wheel: Path, source: Path) -> tuple[list[str], int, int]:
    """What the wheel lacks of the models in ``source``, and the models' bytes in it
    (compressed, uncompressed)."""
    problems = []
    folders = sorted(p for p in (source / MODELS).iterdir() if p.is_dir())
    with zipfile.ZipFile(wheel) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        for folder in folders:
            for name in MODEL_FILES:
                path = folder / name
                entry = f"qsolve/models/{folder.name}/{name}"
                if not path.is_file():
                    problems.append(f"{path.relative_to(source)} is missing from the checkout")
                elif entry not in entries:
                    problems.append(f"{entry} is missing from the wheel")
                elif digest(archive.read(entry)) != digest(path.read_bytes()):
                    problems.append(f"{entry} differs from {path.relative_to(source)}")
        in_models = [i for n, i in entries.items() if n.startswith("qsolve/models/")]
    packed = sum(i.compress_size for i in in_models)
    unpacked = sum(i.file_size for i in in_models)
    return problems, packed, unpacked


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB ({size:,} bytes)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="build with this environment's setuptools (no package index needed)",
    )
    parser.add_argument(
        "--limit-mib", type=float, default=LIMIT_MIB, help="the largest file allowed, in MiB"
    )
    parser.add_argument("--keep", type=Path, help="copy the built files into this folder")
    args = parser.parse_args()
    limit = int(args.limit_mib * 2**20)

    with tempfile.TemporaryDirectory(prefix="qsolve-wheel-") as temp:
        source, dist = Path(temp) / "src", Path(temp) / "dist"
        copy_tree(ROOT, checkout_files(ROOT), source)
        command = [sys.executable, "-m", "build", "--outdir", str(dist), str(source)]
        if args.no_isolation:
            # setuptools 70.1 and later write wheels themselves: "wheel" need not be installed.
            command[3:3] = ["--no-isolation", "--skip-dependency-check"]
        started = time.perf_counter()
        built = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if built.returncode != 0:
            print(built.stdout[-4000:] + built.stderr[-4000:], file=sys.stderr)
            print(f"wheel_size: {' '.join(command[1:4])} failed", file=sys.stderr)
            return 2
        [wheel] = dist.glob("*.whl")
        [sdist] = dist.glob("*.tar.gz")
        problems, packed, unpacked = model_problems(wheel, source)
        sizes = {  # bytes of each model folder's files on disk
            folder.name: sum(p.stat().st_size for p in folder.iterdir() if p.name in MODEL_FILES)
            for folder in (source / MODELS).iterdir()
            if folder.is_dir()
        }
        on_disk = sum(sizes.values())

        print(f"built in {seconds:.0f} s: python -m build{' --no-isolation' * args.no_isolation}")
        print(
            f"limit per file: {mib(limit)}"
            + (" (PyPI's default)" if limit == LIMIT_MIB * 2**20 else "")
        )
        for path in (wheel, sdist):
            size = path.stat().st_size
            print(f"{path.name}: {mib(size)}, {100 * size / limit:.0f}% of the limit")
        print(
            f"shipped models ({len(sizes)}): {mib(on_disk)} on disk, {mib(packed)} in the "
            f"wheel ({100 * packed / wheel.stat().st_size:.1f}% of it; {mib(unpacked)} unpacked)"
        )
        for folder, size in sorted(sizes.items(), key=lambda item: -item[1]):
            print(f"  {folder:<20} {size / 2**20:6.1f} MiB")
        over = [p.name for p in (wheel, sdist) if p.stat().st_size > limit]
        for name in over:
            problems.append(f"{name} is over the limit of {mib(limit)}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in (wheel, sdist):
                shutil.copy2(path, args.keep / path.name)
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print(
            f"ok: every model's {' and '.join(MODEL_FILES)} in the wheel, each file under the limit"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
