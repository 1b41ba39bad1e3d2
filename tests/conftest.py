"""Shared fixtures: the repository root and a scratch copy of the workflow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.components.clean.charlm import default_lm

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "raw").glob("*.txt"))


@pytest.fixture(scope="session")
def lm():
    return default_lm()


def copy_workflow(target: Path) -> Path:
    """A runnable copy of the workflow (code, config, models, seeds) without outputs."""
    for name in ("Snakefile", "pipeline", "workflow", "config", "models", "raw", "profiles"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def snakemake(workdir: Path, *args: str) -> str:
    """Run the workflow in ``workdir``; fail the test with Snakemake's output if it fails."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def pipeline_cli(workdir: Path, *args: str, ok: bool = True):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=workdir, capture_output=True, text=True, timeout=300)
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> Path:
    """One full workflow run on the seeds in a scratch copy, shared by the tests that only read it."""
    workdir = copy_workflow(tmp_path_factory.mktemp("seed_run"))
    snakemake(workdir)
    return workdir
