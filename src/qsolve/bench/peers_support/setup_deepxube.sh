#!/usr/bin/env bash
# Creates (or completes) the DeepXube 0.3.2 virtual environment used by the peers benchmark.
# Idempotent: re-running it on a finished environment only checks the versions.
# The environment goes to $QSOLVE_DEEPXUBE_VENV, else deepxube/ in qsolve's cache folder
# ($QSOLVE_CACHE, else ~/.cache/qsolve), never to the working directory.
# torch is installed first, pinned to 2.13.0, so that pip takes the local CPU wheel and never
# resolves deepxube's "torch>=2.0" to a multi-gigabyte CUDA build.
set -euo pipefail

VENV="${QSOLVE_DEEPXUBE_VENV:-${QSOLVE_CACHE:-$HOME/.cache/qsolve}/deepxube}"
PYTHON="${PYTHON:-python3.11}"
TORCH_VERSION="2.13.0"
DEEPXUBE_VERSION="0.3.2"

if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/pip" --disable-pip-version-check -q)

installed() {  # installed NAME VERSION -> 0 when NAME==VERSION (local suffix ignored) is present
    "$VENV/bin/python" - "$1" "$2" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    sys.exit(0 if version(sys.argv[1]).split("+")[0] == sys.argv[2] else 1)
except PackageNotFoundError:
    sys.exit(1)
PY
}

installed torch "$TORCH_VERSION" || "${PIP[@]}" install "torch==$TORCH_VERSION"
# The torch pin stays on the command line so the resolver may not replace it.
installed deepxube "$DEEPXUBE_VERSION" \
    || "${PIP[@]}" install "torch==$TORCH_VERSION" "deepxube==$DEEPXUBE_VERSION"

"$VENV/bin/python" -c "import torch, deepxube; from importlib.metadata import version; \
print('deepxube', version('deepxube'), 'torch', torch.__version__, 'cuda', torch.version.cuda)"
