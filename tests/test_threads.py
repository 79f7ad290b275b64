"""The one helper that sets torch's CPU threads."""

import subprocess
import sys

import torch

from qsolve.threads import set_torch_threads


def test_set_torch_threads_sets_torchs_intra_op_threads():
    before = torch.get_num_threads()
    try:
        set_torch_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_importing_the_helper_does_not_import_torch():
    code = "import sys, qsolve.threads; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
