"""Where qsolve's installed files live; a module of its own, so that any part can import it."""

from __future__ import annotations

from pathlib import Path

# The shipped models: one folder per model, holding config.json and model.safetensors.
MODELS_DIR = Path(__file__).parent / "models"
