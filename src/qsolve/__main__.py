"""``python -m qsolve``: the command line (what ``torchrun -m qsolve train ...`` starts)."""

import sys

from qsolve.cli import main

sys.exit(main())
