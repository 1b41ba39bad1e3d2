"""The audit: a ledger that accounts for every input file and every record in it.

Each input file found by the clean stage gets one ledger row per record it held: the
document ids it became (processed), or the quarantine records that explain why not
(with ``kept`` naming the document a duplicate points to). A file rejected whole counts
as one record. ``unaccounted`` must be 0, or the workflow fails.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pipeline.stages import FINAL_STAGE, STAGE_NAMES
from pipeline.components.clean.readers import decode, jsonl_lines
from pipeline.record.codec import read_jsonl
from pipeline.running.caches import read_reduced
from pipeline.running.files import write_jsonl

STAGES = STAGE_NAMES[1:]  # the stages after clean, whose shards hold records


def source_records(path: str, file_rejected: bool) -> list[int | None]:
    """The records an input file holds, counted from the file itself: each non-empty line
    of a readable JSON-lines file, else the file as one record."""
    if file_rejected or not path.lower().endswith(".jsonl"):
        return [None]
    try:
        text, _ = decode(Path(path).read_bytes())  # clean read it within max_file_mb, else file_rejected
    except (OSError, ValueError):
        return [None]
    return [number for number, line in enumerate(jsonl_lines(text), 1) if line.strip()] or [None]


def build_ledger(out_dir: str | Path) -> tuple[list[dict], dict]:
    out_dir = Path(out_dir)
    ingest = json.loads((out_dir / "clean" / "ingest.json").read_text(encoding="utf-8"))
    processed = defaultdict(list)
    shards = sorted((out_dir / FINAL_STAGE).glob("shard-*.jsonl"))
    for record in read_reduced(shards, ("id", "meta"), out_dir / ".cache" / "views" / "audit.json"):
        meta = record["meta"]
        processed[(meta["source_file"], meta.get("source_line"))].append(record["id"])
    quarantined = defaultdict(list)
    for item in read_jsonl(out_dir / "clean" / "quarantine.jsonl"):
        quarantined[(item["source_file"], item.get("source_line"))].append(item)
    for stage in STAGES:  # documents a later stage could not handle alone
        for manifest in sorted((out_dir / stage).glob("shard-*.manifest.json")):
            for item in json.loads(manifest.read_text(encoding="utf-8"))["quarantined"]:
                key = (item.get("source_file"), item.get("source_line"))
                quarantined[key].append({k: v for k, v in item.items() if k != "trace"} | {"stage": stage})
    rows, counts = [], {"inputs": len(ingest["files"]), "records": 0, "processed": 0, "quarantined": 0, "unaccounted": 0}
    for source in ingest["files"]:
        file_rejected = any(q.get("source_line") is None and q.get("id") is None for q in quarantined.get((source, None), []))
        for line in source_records(source, file_rejected):
            key = (source, line)
            row = {"file": source, "line": line, "processed": sorted(processed.pop(key, [])), "quarantined": quarantined.pop(key, [])}
            row["status"] = "processed" if row["processed"] else "quarantined" if row["quarantined"] else "unaccounted"
            counts["records"] += 1
            counts[row["status"]] += 1
            rows.append(row)
    for key in sorted(set(processed) | set(quarantined), key=str):  # outputs that name no input record
        rows.append({"file": key[0], "line": key[1], "processed": processed.get(key, []), "quarantined": quarantined.get(key, []), "status": "stray"})
        counts["unaccounted"] += 1
    return rows, counts


def run_audit(out_dir: str | Path, cases: str | Path | None = None) -> dict:
    """Write ``audit/ledger.jsonl`` and ``audit/summary.json``; raise if anything is unaccounted."""
    out_dir = Path(out_dir)
    rows, counts = build_ledger(out_dir)
    if cases and Path(cases).exists():
        counts["cases_tried"] = len(json.loads(Path(cases).read_text(encoding="utf-8")))
    write_jsonl(out_dir / "audit" / "ledger.jsonl", rows)
    (out_dir / "audit").mkdir(parents=True, exist_ok=True)
    (out_dir / "audit" / "summary.json").write_text(json.dumps(counts, sort_keys=True) + "\n", encoding="utf-8")
    if counts["unaccounted"]:
        raise RuntimeError(f"audit: {counts['unaccounted']} records unaccounted for; see {out_dir / 'audit' / 'ledger.jsonl'}")
    return counts
