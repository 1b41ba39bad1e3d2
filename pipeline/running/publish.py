"""The publish job: check that no document was lost between stages, keep each stage's version
under ``versions/`` and write ``artifacts.json``, the index of the current run."""

from __future__ import annotations

from pathlib import Path

from pipeline.record.codec import read_jsonl
from pipeline.running import versions
from pipeline.stages import STAGE_NAMES


def run_publish(out_dir: str | Path) -> dict:
    """Check that no document was lost between stages, publish each stage's version into
    ``versions/`` and write ``artifacts.json`` (the index of the current run)."""
    out_dir = Path(out_dir)
    store = out_dir / "versions"
    ingest_info = versions.read_json(out_dir / "clean" / "ingest.json")
    stages, previous = {}, None
    for stage in STAGE_NAMES:
        manifest = versions.publish(out_dir / stage, store)
        counts = manifest["counts"]
        if previous is not None and counts["docs_in"] != previous:
            raise RuntimeError(f"{stage}: {counts['docs_in']} documents in, but the stage before put out {previous}")
        if counts["docs_in"] != counts["docs_out"] + counts["quarantined"]:
            raise RuntimeError(f"{stage}: documents in ≠ out + quarantined: {counts}")
        previous = counts["docs_out"]
        stages[stage] = {"version": manifest["version"], "method": manifest["method"], "counts": counts}
    quarantined = list(read_jsonl(out_dir / "clean" / "quarantine.jsonl"))
    index = {
        "inputs": ingest_info["counts"],
        "input_version": ingest_info["input_version"],
        "stages": stages,
        "documents": previous,
        "quarantined": len(quarantined) + sum(s["counts"]["quarantined"] for s in stages.values()),
    }
    versions.write_json(out_dir / "artifacts.json", index)
    return index
