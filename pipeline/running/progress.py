"""Progress of a running workflow, read from the artifacts as they appear.

Each stage job writes ``shard-NNN.timing.json`` (documents, seconds) when it finishes and
the clean stage writes ``ingest.json`` with the batch size, so progress needs no hook into
Snakemake: ``python -m pipeline run`` polls the output folder while Snakemake works.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipeline.stages import STAGE_NAMES


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def snapshot(out: Path, since: float) -> dict:
    """Per stage: documents done, seconds spent; plus the batch total and quarantine."""
    ingest = _json(out / "clean" / "ingest.json")
    total = ingest.get("counts", {}).get("docs_out")
    stages = {}
    for stage in STAGE_NAMES:
        if stage == "clean":
            timing = _json(out / "clean" / "ingest.timing.json")
            fresh = (out / "clean" / "ingest.timing.json").exists() and (out / "clean" / "ingest.timing.json").stat().st_mtime >= since
            stages[stage] = {"done": total if fresh else 0, "seconds": timing.get("seconds", 0.0) if fresh else 0.0}
            continue
        done, seconds = 0, 0.0
        for path in (out / stage).glob("shard-*.timing.json"):
            if path.stat().st_mtime >= since:
                timing = _json(path)
                done += timing.get("docs", 0)
                seconds += timing.get("seconds", 0.0)
        stages[stage] = {"done": done, "seconds": seconds}
    return {"total": total, "quarantined": ingest.get("counts", {}).get("quarantined", 0), "stages": stages}


def table(state: dict, elapsed: float) -> Table:
    grid = Table(title=f"pipeline run — {elapsed:.0f}s", show_edge=False)
    for column in ("stage", "documents", "rate (docs/s)"):
        grid.add_column(column, justify="right" if column != "stage" else "left")
    total = state["total"]
    for stage, info in state["stages"].items():
        done = f"{info['done']}/{total}" if total is not None else str(info["done"])
        rate = f"{info['done'] / info['seconds']:.0f}" if info["seconds"] else "—"
        grid.add_row(stage, done, rate)
    return grid


def summary_line(state: dict, wall: float) -> str:
    per_stage = ", ".join(f"{stage} {info['seconds']:.1f}s" for stage, info in state["stages"].items())
    return f"documents: {state['total']}, quarantined: {state['quarantined']}, wall: {wall:.1f}s, time per stage: {per_stage}"


def run_with_progress(command: list[str], out: Path, cwd: Path, log: Path | None = None) -> int:
    """Run Snakemake, showing per-stage progress on a terminal, then one summary line.
    ``log``: where Snakemake's own output goes (None: to this terminal, ``--verbose``)."""
    console = Console(stderr=True)
    started = time.time()
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as handle:
            process = subprocess.Popen(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT)
    else:
        process = subprocess.Popen(command, cwd=cwd)
    if console.is_terminal:
        with Live(table(snapshot(out, started), 0), console=console, refresh_per_second=2) as live:
            while process.poll() is None:
                time.sleep(0.5)
                live.update(table(snapshot(out, started), time.time() - started))
            live.update(table(snapshot(out, started), time.time() - started))
    code = process.wait()
    print(summary_line(snapshot(out, started), time.time() - started), file=sys.stderr)
    if code and log is not None:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print("\n".join(lines[-20:]) + f"\npipeline: the workflow failed; Snakemake's log: {log}", file=sys.stderr)
    return code
