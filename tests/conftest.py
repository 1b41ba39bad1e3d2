"""Shared fixtures: the repository root and a scratch copy of the workflow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.charlm import default_lm

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "raw").glob("*.txt"))


@pytest.fixture(scope="session")
def lm():
    return default_lm()


def copy_workflow(target: Path) -> Path:
    """A runnable copy of the workflow (code, config, models, seeds) without outputs."""
    for name in ("Snakefile", "pipeline", "workflow", "config", "models", "raw"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target
