"""The shard job: one stage's component over one shard of records, writing records,
quarantine and manifest.

The Snakemake rules call it through ``python -m pipeline stage <name> …``; it is a plain
function so tests call it directly. The job builds the stage's component once (the one the
config names, :mod:`pipeline.stages`), checks that every record has the layers it
``requires``, runs ``predict`` then ``set_annotations`` on the whole shard as a batch, checks
that only its ``assigns`` changed, and writes every file atomically (a killed job leaves no
partial file). A document that makes the component fail is retried alone and, if it fails
again, quarantined with the error; the rest of the shard goes on.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from pipeline.components import Component, ContractError
from pipeline.paths import ConfigError
from pipeline.record.codec import dumps_bytes, line_digest, loads, read_lines
from pipeline.running import versions
from pipeline.running.files import atomic_write_text, remove_stale_temporaries, write_lines
from pipeline.stages import component_for, stage_modules


def run_stage(stage: str, in_path: str | Path, out_path: str | Path, params: dict) -> dict:
    """Annotate one shard with one stage; writes ``<out>.jsonl`` and its manifest.

    A document whose input line is byte-identical to one seen by the last run of this shard
    with the same code, params, models and packages gets that run's output line back
    verbatim (kept under ``.cache/``): it is neither parsed nor re-serialised, so adding
    documents costs only their own share. The model is loaded only if some document needs it.
    """
    started = time.time()
    spec = component_for(stage, params)
    code = stage_modules(stage, params)
    in_path, out_path = Path(in_path), Path(out_path)
    remove_stale_temporaries(out_path.parent, [out_path.name, out_path.with_suffix(".manifest.json").name,
                                               out_path.with_suffix(".timing.json").name])
    lines = read_lines(in_path)
    upstream = versions.read_json(in_path.with_suffix(".manifest.json"))
    cache = ShardCache(out_path, versions.cache_key(versions.build_manifest(stage, spec.name, code, params, {}, {}, [])))
    previous = cache.previous()
    digests = [line_digest(line) for line in lines]
    todo = [loads(line, f"{in_path}:{k + 1}") for k, (line, digest) in enumerate(zip(lines, digests))
            if digest not in previous]
    fresh, quarantined = [], []
    if todo:
        component = build_component(stage, spec.name, params)
        component.check_requires(todo, str(in_path))
        fresh, quarantined = _annotate_safely(component, todo, stage)
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
    manifest = versions.build_manifest(stage, spec.name, code, params, {in_path.parent.name: upstream["version"]}, counts, quarantined)
    versions.write_json(out_path.with_suffix(".manifest.json"), manifest)
    cache.store(out_path, out_digests)
    versions.write_json(out_path.with_suffix(".timing.json"), {
        "seconds": round(time.time() - started, 3), "docs": len(lines), "computed": len(todo),
        "reused": len(lines) - len(todo),
    })
    return counts


def build_component(stage: str, name: str, params: dict) -> Component:
    """The stage's component with its model loaded, or an error that names the file and how
    to get it back."""
    try:
        return Component(name, params)
    except ConfigError as error:  # a wrong key in the config: there is no file to restore
        raise RuntimeError(f"{stage}: {error}") from error
    except (OSError, ValueError, RuntimeError) as error:
        where = params.get("model") or params.get("lexicon") or f"the files {name} reads"
        raise RuntimeError(
            f"{stage}: cannot load {where}: {error}. Restore the committed model with "
            f"`git checkout -- {where}`, or retrain it (see its MODEL_CARD.md for the command)."
        ) from error


class ShardCache:
    """The previous output of a shard, kept beside the outputs (Snakemake deletes a job's
    outputs before re-running it) with the digest of the input line behind each output
    line and the key of what produced them."""

    def __init__(self, out_path: Path, key: str):
        folder = out_path.parent.parent / ".cache" / out_path.parent.name
        self.records = folder / out_path.name
        self.digests = folder / (out_path.stem + ".inputs")
        self.key_file = folder / (out_path.stem + ".key")
        self.key = key

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


def _annotate_safely(component: Component, records: list[dict], stage: str) -> tuple[list[dict], list[dict]]:
    try:
        return component(records), []
    except ContractError:
        raise  # a broken component, not a bad document
    except Exception:  # one bad document must not stop the batch: find it
        annotated, quarantined = [], []
        for record in records:
            try:
                annotated.extend(component([record]))
            except ContractError:
                raise
            except Exception as error:
                quarantined.append({
                    "id": record["id"], "source_file": record.get("meta", {}).get("source_file"),
                    "reason": "stage_error", "detail": f"{stage}: {type(error).__name__}: {error}",
                    "trace": traceback.format_exc(limit=3),
                })
        return annotated, quarantined
