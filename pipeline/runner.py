"""Run one workflow job: a stage over one shard, writing records, quarantine and manifest.

The Snakemake rules call these through ``python -m pipeline stage …``; they are plain
functions so tests call them directly. A job loads its model once, annotates the whole
shard as a batch, and writes every file atomically (a killed job leaves no partial file).
A document that makes the stage fail is retried alone and, if it fails again, quarantined
with the error; the rest of the shard goes on.
"""

from __future__ import annotations

import importlib
import json
import os
import time
import traceback
from pathlib import Path

from pipeline import artifacts
from pipeline.ingest import deal, ingest, input_digest
from pipeline.record import atomic_write_text, read_jsonl, write_jsonl

# stage → (module, layers it needs, layers it adds)
STAGES = {
    "clean": ("pipeline.ingest", (), ("text", "meta", "sentences")),
    "segment": ("pipeline.segment", ("text", "sentences"), ("tok",)),
    "ner": ("pipeline.ner", ("text", "tok"), ("ner", "entities")),
    "stance": ("pipeline.stance", ("text", "sentences", "entities"), ("stance",)),
    "summarize": ("pipeline.summarize", ("text", "sentences"), ("summary",)),
}
RUNNER_MODULE = "pipeline.runner"
CLEAN_MODEL = "models/charlm"


def _manifest(stage: str, method: str, params: dict, inputs: dict, counts: dict, quarantined: list) -> dict:
    manifest = artifacts.build_manifest(stage, method, STAGES[stage][0], params, inputs, counts, quarantined)
    # The runner and record format shape every byte too: fold them into the code hash.
    runner_code = artifacts.code_hashes(RUNNER_MODULE)
    manifest["code"] = {**runner_code, **manifest["code"]}
    determinants = {k: manifest[k] for k in ("stage", "method", "inputs", "code", "params", "models", "packages")}
    manifest["version"] = artifacts.version_id(determinants)
    return manifest


def run_clean(inputs: list[str], out_dir: str | Path, shards: int, params: dict) -> dict:
    """Ingest every input into ``shard-NNN.jsonl`` files plus ``quarantine.jsonl``."""
    started = time.time()
    out_dir = Path(out_dir)
    params = {**params, "shards": shards, "charlm": CLEAN_MODEL}  # the model folds into the version
    probe = _manifest("clean", "zh.clean.rules.v1", params, {}, {}, [])
    cache_key = artifacts.version_id({k: probe[k] for k in ("code", "params", "models", "packages")})
    cache_file = out_dir.parent / ".cache" / "clean" / f"units-{cache_key}.json"
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    batch = ingest(inputs, params, cache=cache)
    used = {key: cache[key] for key in batch.unit_keys}
    atomic_write_text(cache_file, json.dumps(used, ensure_ascii=False, sort_keys=True))
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
        manifest = _manifest(
            "clean", "zh.clean.rules.v1", params, {"files": digest},
            {"docs_in": len(records), "docs_out": len(records), "quarantined": 0}, [],
        )
        artifacts.write_json(out_dir / f"{name}.manifest.json", manifest)
    write_jsonl(out_dir / "quarantine.jsonl", quarantined)
    artifacts.write_json(out_dir / "ingest.json", {"counts": counts, "files": sorted(batch.files), "input_version": digest})
    artifacts.write_json(out_dir / "ingest.timing.json", {"seconds": round(time.time() - started, 3)})
    return counts


def run_stage(stage: str, in_path: str | Path, out_path: str | Path, params: dict) -> dict:
    """Annotate one shard with one stage; writes ``<out>.jsonl`` and its manifest.

    Documents whose input record is unchanged since the last run of this shard with the
    same code, params, models and packages are taken from that run's output (kept under
    ``.cache/``), so adding documents costs only their own share. The model is loaded
    only if some document needs it.
    """
    started = time.time()
    module_name, needs, adds = STAGES[stage]
    module = importlib.import_module(module_name)
    in_path, out_path = Path(in_path), Path(out_path)
    records = list(read_jsonl(in_path))
    for record in records:
        missing = [layer for layer in needs if layer not in record]
        if missing:
            raise ValueError(f"{in_path}: record {record.get('id')} lacks {missing}; run the stages before {stage} first")
    upstream = artifacts.read_json(in_path.with_suffix(".manifest.json"))
    probe = _manifest(stage, module.VERSION, params, {}, {}, [])
    determinants = {k: probe[k] for k in ("stage", "method", "code", "params", "models", "packages")}
    cache = ShardCache(out_path, determinants)
    reused = {r["id"]: r for r in cache.reusable(records, adds)}
    todo = [r for r in records if r["id"] not in reused]
    fresh, quarantined = [], []
    if todo:
        model = load_model(stage, module, params)
        fresh, quarantined = _annotate_safely(module, todo, model, stage)
    by_id = {**reused, **{r["id"]: r for r in fresh}}
    annotated = [by_id[r["id"]] for r in records if r["id"] in by_id]
    counts = {"docs_in": len(records), "docs_out": len(annotated), "quarantined": len(quarantined)}
    if counts["docs_in"] != counts["docs_out"] + counts["quarantined"]:
        raise RuntimeError(f"{stage}: documents lost in {in_path}: {counts}")
    write_jsonl(out_path, annotated)
    manifest = _manifest(stage, module.VERSION, params, {in_path.parent.name: upstream["version"]}, counts, quarantined)
    artifacts.write_json(out_path.with_suffix(".manifest.json"), manifest)
    cache.store(out_path)
    artifacts.write_json(out_path.with_suffix(".timing.json"), {
        "seconds": round(time.time() - started, 3), "docs": len(records), "computed": len(todo), "reused": len(reused),
    })
    return counts


def load_model(stage: str, module, params: dict):
    """The stage's model, or an error that names the file and how to get it back."""
    try:
        return module.load(params)
    except (OSError, ValueError, RuntimeError) as error:
        where = params.get("model") or params.get("lexicon") or f"the files {module.__name__} reads"
        raise RuntimeError(
            f"{stage}: cannot load {where}: {error}. Restore the committed model with "
            f"`git checkout -- {where}`, or retrain it (see its MODEL_CARD.md for the command)."
        ) from error


class ShardCache:
    """The previous output of a shard, kept beside the outputs (Snakemake deletes a job's
    outputs before re-running it) together with what produced it."""

    def __init__(self, out_path: Path, determinants: dict):
        folder = out_path.parent.parent / ".cache" / out_path.parent.name
        self.records = folder / out_path.name
        self.key_file = folder / (out_path.stem + ".key")
        self.key = artifacts.version_id(determinants)

    def reusable(self, records: list[dict], adds: tuple[str, ...]) -> list[dict]:
        """Previous outputs whose input part equals today's input record exactly."""
        try:
            if self.key_file.read_text().strip() != self.key:
                return []
            previous = {r["id"]: r for r in read_jsonl(self.records)}
        except (OSError, ValueError):
            return []
        reused = []
        for record in records:
            old = previous.get(record["id"])
            if old is not None and {k: v for k, v in old.items() if k not in adds} == record:
                reused.append(old)
        return reused

    def store(self, out_path: Path) -> None:
        self.records.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.records.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        os.link(out_path, tmp)  # a second name for the same bytes: no copy
        os.replace(tmp, self.records)
        atomic_write_text(self.key_file, self.key + "\n")


def _annotate_safely(module, records: list[dict], model, stage: str) -> tuple[list[dict], list[dict]]:
    try:
        return list(module.annotate(records, model)), []
    except Exception:  # one bad document must not stop the batch: find it
        annotated, quarantined = [], []
        for record in records:
            try:
                annotated.extend(module.annotate([record], model))
            except Exception as error:
                quarantined.append({
                    "id": record["id"], "source_file": record.get("meta", {}).get("source_file"),
                    "reason": "stage_error", "detail": f"{stage}: {type(error).__name__}: {error}",
                    "trace": traceback.format_exc(limit=3),
                })
        return annotated, quarantined


STAGE_ORDER = ("clean", "segment", "ner", "stance", "summarize")


def run_publish(out_dir: str | Path) -> dict:
    """Check that no document was lost between stages, publish each stage's version into
    ``versions/`` and write ``artifacts.json`` (the index of the current run)."""
    out_dir = Path(out_dir)
    store = out_dir / "versions"
    ingest_info = artifacts.read_json(out_dir / "clean" / "ingest.json")
    stages, previous = {}, None
    for stage in STAGE_ORDER:
        manifest = artifacts.publish(out_dir / stage, store)
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
    artifacts.write_json(out_dir / "artifacts.json", index)
    return index
