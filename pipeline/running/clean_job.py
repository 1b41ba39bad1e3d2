"""The clean job: every input file of the batch → ``shard-NNN.jsonl`` records, the quarantine
list, ``ingest.json`` and one manifest per shard. The one job that reads raw files; the stages
after it run :mod:`pipeline.running.shard_job`.

What cleaning found last time is kept under ``.cache/clean/`` keyed by the cleaner's code,
params and model: unchanged inputs are not cleaned, measured or fingerprinted again.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import orjson

from pipeline.components.clean.ingest import deal, ingest, input_digest
from pipeline.running import versions
from pipeline.running.files import atomic_write_text, write_jsonl
from pipeline.stages import component_for, stage_modules

CLEAN_MODEL = "models/charlm"
PAGE_ROLES_MODEL = "models/page_roles"  # pipeline.components.clean.page_roles


def run_clean(inputs: list[str], out_dir: str | Path, shards: int, params: dict) -> dict:
    """Ingest every input into ``shard-NNN.jsonl`` files plus ``quarantine.jsonl``."""
    started = time.time()
    out_dir = Path(out_dir)
    for stale in out_dir.glob(".*.tmp"):  # a killed run's leftovers: this job alone writes here
        stale.unlink(missing_ok=True)
    method = component_for("clean", params).name
    code = stage_modules("clean", params)
    params = {**params, "shards": shards, "charlm": CLEAN_MODEL, "page_roles": PAGE_ROLES_MODEL}  # the models fold into the version

    def manifest(inputs_: dict, counts: dict) -> dict:
        return versions.build_manifest("clean", method, code, params, inputs_, counts, [])

    cache_key = versions.cache_key(manifest({}, {}), ("code", "params", "models", "packages"))
    cache_file = out_dir.parent / ".cache" / "clean" / f"units-{cache_key}.json"
    try:
        cache = orjson.loads(cache_file.read_bytes())
        units, samples, ratios, history = cache["units"], cache["samples"], cache["ratios"], cache["duplicates"]
    except (OSError, ValueError, KeyError, TypeError):
        units, samples, ratios, history = {}, {}, {}, []
    settings = {key: value for key, value in params.items() if key not in ("shards", "charlm", "page_roles")}
    batch = ingest(inputs, settings, cache=units, samples=samples, ratios=ratios, history=history)
    texts = {hashlib.sha256(r["text"].encode("utf-8")).hexdigest() for r in batch.records}
    kept = {  # only what today's inputs used, so the cache does not grow without bound
        "units": {key: units[key] for key in batch.unit_keys},
        "samples": {digest: samples[digest] for digest in texts if digest in samples},
        "ratios": {digest: ratios[digest] for digest in texts if digest in ratios},
        "duplicates": batch.duplicate_log,
    }
    atomic_write_text(cache_file, orjson.dumps(kept, option=orjson.OPT_SORT_KEYS), durable=False)
    dealt = deal(batch.records, shards)
    digest = input_digest(batch.files)
    quarantined = sorted(batch.quarantined, key=lambda q: (q["source_file"], q.get("source_line") or 0, q.get("id") or ""))
    counts = {
        "files": len(batch.files), "units": batch.units, "articles": batch.articles,
        "docs_out": len(batch.records), "quarantined": len(quarantined),
    }
    # Every article found is processed or quarantined (file-level rejects have no article).
    if batch.articles != len(batch.records) + batch.rejected_articles:
        raise RuntimeError(f"clean: {batch.articles} articles in, {len(batch.records)} out + {batch.rejected_articles} quarantined")
    for number, records in enumerate(dealt):
        name = f"shard-{number:03d}"
        write_jsonl(out_dir / f"{name}.jsonl", records)
        shard_counts = {"docs_in": len(records), "docs_out": len(records), "quarantined": 0}
        versions.write_json(out_dir / f"{name}.manifest.json", manifest({"files": digest}, shard_counts))
    write_jsonl(out_dir / "quarantine.jsonl", quarantined)
    versions.write_json(out_dir / "ingest.json", {"counts": counts, "files": sorted(batch.files), "input_version": digest})
    versions.write_json(out_dir / "ingest.timing.json", {"seconds": round(time.time() - started, 3)})
    return counts
