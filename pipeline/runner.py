"""Run one workflow job: a stage over one shard, writing records, quarantine and manifest.

The Snakemake rules call these through ``python -m pipeline stage …``; they are plain
functions so tests call them directly. A job loads its model once, annotates the whole
shard as a batch, and writes every file atomically (a killed job leaves no partial file).
A document that makes the stage fail is retried alone and, if it fails again, quarantined
with the error; the rest of the shard goes on.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
import traceback
from pathlib import Path

import orjson

from pipeline import artifacts
from pipeline.ingest import deal, ingest, input_digest
from pipeline.paths import ConfigError
from pipeline.record import atomic_write_text, dumps_bytes, line_digest, loads, read_jsonl, read_lines, write_jsonl, write_lines

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
PAGE_ROLES_MODEL = "models/page_roles"  # pipeline.components.clean.page_roles


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
    params = {**params, "shards": shards, "charlm": CLEAN_MODEL, "page_roles": PAGE_ROLES_MODEL}  # the models fold into the version
    probe = _manifest("clean", "zh.clean.rules.v1", params, {}, {}, [])
    cache_key = artifacts.version_id({k: probe[k] for k in ("code", "params", "models", "packages")})
    cache_file = out_dir.parent / ".cache" / "clean" / f"units-{cache_key}.json"
    try:
        cache = orjson.loads(cache_file.read_bytes())
        units, samples, ratios, history = cache["units"], cache["samples"], cache["ratios"], cache["duplicates"]
    except (OSError, ValueError, KeyError, TypeError):
        units, samples, ratios, history = {}, {}, {}, []
    batch = ingest(inputs, params, cache=units, samples=samples, ratios=ratios, history=history)
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

    A document whose input line is byte-identical to one seen by the last run of this shard
    with the same code, params, models and packages gets that run's output line back
    verbatim (kept under ``.cache/``): it is neither parsed nor re-serialised, so adding
    documents costs only their own share. The model is loaded only if some document needs it.
    """
    started = time.time()
    module_name, needs, adds = STAGES[stage]
    module = importlib.import_module(module_name)
    in_path, out_path = Path(in_path), Path(out_path)
    lines = read_lines(in_path)
    upstream = artifacts.read_json(in_path.with_suffix(".manifest.json"))
    probe = _manifest(stage, module.VERSION, params, {}, {}, [])
    determinants = {k: probe[k] for k in ("stage", "method", "code", "params", "models", "packages")}
    cache = ShardCache(out_path, determinants)
    previous = cache.previous()
    digests = [line_digest(line) for line in lines]
    todo = [loads(line, f"{in_path}:{k + 1}") for k, (line, digest) in enumerate(zip(lines, digests))
            if digest not in previous]
    for record in todo:
        missing = [layer for layer in needs if layer not in record]
        if missing:
            raise ValueError(f"{in_path}: record {record.get('id')} lacks {missing}; run the stages before {stage} first")
    fresh, quarantined = [], []
    if todo:
        model = load_model(stage, module, params)
        fresh, quarantined = _annotate_safely(module, todo, model, stage)
    fresh_lines = {record["id"]: dumps_bytes(record) for record in fresh}
    out_lines, out_digests, computed = [], [], iter(todo)
    for digest in digests:
        line = previous.get(digest) or fresh_lines.get(next(computed)["id"])
        if line is not None:  # else quarantined (or lost: the count check below says so)
            out_lines.append(line)
            out_digests.append(digest)
    counts = {"docs_in": len(lines), "docs_out": len(out_lines), "quarantined": len(quarantined)}
    if counts["docs_in"] != counts["docs_out"] + counts["quarantined"]:
        raise RuntimeError(f"{stage}: documents lost in {in_path}: {counts}")
    write_lines(out_path, out_lines)
    manifest = _manifest(stage, module.VERSION, params, {in_path.parent.name: upstream["version"]}, counts, quarantined)
    artifacts.write_json(out_path.with_suffix(".manifest.json"), manifest)
    cache.store(out_path, out_digests)
    artifacts.write_json(out_path.with_suffix(".timing.json"), {
        "seconds": round(time.time() - started, 3), "docs": len(lines), "computed": len(todo),
        "reused": len(lines) - len(todo),
    })
    return counts


def load_model(stage: str, module, params: dict):
    """The stage's model, or an error that names the file and how to get it back."""
    try:
        return module.load(params)
    except ConfigError as error:  # a wrong key in the config: there is no file to restore
        raise RuntimeError(f"{stage}: {error}") from error
    except (OSError, ValueError, RuntimeError) as error:
        where = params.get("model") or params.get("lexicon") or f"the files {module.__name__} reads"
        raise RuntimeError(
            f"{stage}: cannot load {where}: {error}. Restore the committed model with "
            f"`git checkout -- {where}`, or retrain it (see its MODEL_CARD.md for the command)."
        ) from error


class ShardCache:
    """The previous output of a shard, kept beside the outputs (Snakemake deletes a job's
    outputs before re-running it) with the digest of the input line behind each output
    line and the key of what produced them."""

    def __init__(self, out_path: Path, determinants: dict):
        folder = out_path.parent.parent / ".cache" / out_path.parent.name
        self.records = folder / out_path.name
        self.digests = folder / (out_path.stem + ".inputs")
        self.key_file = folder / (out_path.stem + ".key")
        self.key = artifacts.version_id(determinants)

    def previous(self) -> dict[str, bytes]:
        """Input-line digest → output line of the last run, if it ran with today's key."""
        try:
            if self.key_file.read_text().strip() != self.key:
                return {}
            digests = self.digests.read_text().split()
            lines = read_lines(self.records)
        except OSError:
            return {}
        return dict(zip(digests, lines)) if len(digests) == len(lines) else {}

    def store(self, out_path: Path, digests: list[str]) -> None:
        self.records.parent.mkdir(parents=True, exist_ok=True)
        self.key_file.unlink(missing_ok=True)  # a crash between the writes below leaves no key
        tmp = self.records.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        os.link(out_path, tmp)  # a second name for the same bytes: no copy
        os.replace(tmp, self.records)
        atomic_write_text(self.digests, "".join(d + "\n" for d in digests))
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
