"""Where things live: the repository root, the shared data folder, the models."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
CONFIG_DIR = REPO_ROOT / "config"


def shared_dir() -> Path:
    """The read-only shared data folder: ``$ZHNLP_SHARED``, else ``../shared`` beside the repo."""
    env = os.environ.get("ZHNLP_SHARED")
    return Path(env) if env else (REPO_ROOT.parent / "shared")


def shared_path(*parts: str) -> Path:
    """A path inside the shared folder, with a clear error when it is missing."""
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: shared data file not found; set ZHNLP_SHARED to the folder holding "
            "eval/, bench/ and corpus/ (default ../shared)"
        )
    return path


def cache_dir(*parts: str) -> Path:
    """A folder for derived files that are safe to delete (``$ZHNLP_CACHE``, else
    ``~/.cache/zhnlp``): training downloads, compiled model tables."""
    root = Path(os.environ.get("ZHNLP_CACHE") or Path.home() / ".cache" / "zhnlp")
    return root.joinpath(*parts)


class ConfigError(ValueError):
    """A wrong setting in the workflow config (the message names the key)."""
