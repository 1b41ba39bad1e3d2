"""Gold AI-stance documents as pipeline records, for training and scoring the holder model.

The holder model reads what the pipeline gives it: a record's ``text``, its ``sentences``
(character spans), the segmenter's ``tok`` layer and the NER stage's ``ner`` mentions and
``entities`` clusters. So each gold document is turned into such a record and run through
the real segment and NER stages (project config), as ``pipeline.evaluate.stance`` does:

* ``train_docs.jsonl`` (whole pages): ``text`` is the page, ``sentences`` are the gold units
  located in order in it (a unit the page writes with markdown ``**`` inside is found with
  the asterisks skipped);
* sentence files like ``dev.jsonl`` (only AI sentences, grouped by ``doc``): the sentences
  joined with newlines, as ``pipeline.evaluate.stance.document_names`` does.

Each record also carries ``gold``: one entry per sentence span with ``ai``, ``stance``,
``holder`` and ``cue``. Built records are cached under ``cache_dir("stance-holder")`` keyed by
the gold file's bytes and the segment/NER model and config files, since the NER pass over
179 pages takes a while on a shared 2-core machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path

from pipeline.paths import CONFIG_DIR, REPO_ROOT, cache_dir
from pipeline.record.codec import read_jsonl
from pipeline.running.files import write_jsonl

# Files whose bytes decide what the segment and NER stages produce: a change rebuilds the cache.
_STAGE_FILES = (
    "config/config.yaml", "config/gazetteer.yaml", "config/user_dict.txt",
    "models/segmenter/model.crfsuite", "models/segmenter/lexicon.txt",
    "models/ner/crf.model", "models/ner/lexicon.tsv", "models/ner/char_clusters.tsv", "models/ner/config.json",
    "models/ner_base/crf.model", "models/ner_base/lexicon.tsv", "models/ner_base/char_clusters.tsv",
    "pipeline/components/ner_clusters.py",
    "pipeline/components/segment.py", "pipeline/components/ner.py", "pipeline/components/ner_text.py",
    "pipeline/components/gazetteer.py", "pipeline/train/holder_data.py",
)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _locate(text: str, unit: str, start: int) -> tuple[int, int] | None:
    """The span of ``unit`` in ``text`` at or after ``start``; markdown ``*`` may sit inside."""
    found = text.find(unit, start)
    if found >= 0:
        return found, found + len(unit)
    pattern = r"\**".join(re.escape(ch) for ch in unit)
    match = re.compile(pattern).search(text, start)
    return match.span() if match else None


def doc_records(path: Path, sentence_view: bool = False) -> list[dict]:
    """Records (without tok/ner) of a gold file: whole-page format or sentence format.
    ``sentence_view``: a page file as a sentence file would give it (its AI sentences only,
    one per line), the form of the held-out sentence sets."""
    rows = list(read_jsonl(path))
    if rows and "sentences" in rows[0]:
        if not sentence_view:
            return [_page_record(row) for row in rows]
        rows = [{"doc": row["doc"], **unit} for row in rows for unit in row["sentences"] if unit.get("ai")]
    docs: OrderedDict[str, list[dict]] = OrderedDict()
    for row in rows:
        docs.setdefault(row["doc"], []).append(row)
    records = []
    for doc, units in docs.items():
        text, spans, gold = "", [], []
        for unit in units:
            spans.append([len(text), len(text) + len(unit["text"])])
            text += unit["text"] + "\n"
            gold.append({"ai": True, "stance": unit["stance"], "holder": unit.get("holder"), "cue": unit.get("cue")})
        records.append({"id": doc, "text": text, "sentences": spans, "gold": gold, "script": _script(text)})
    return records


def _page_record(row: dict) -> dict:
    text, spans, gold, position = row["text"], [], [], 0
    for unit in row["sentences"]:
        span = _locate(text, unit["text"], position)
        if span is None:  # not in the page at all: skipped, and counted by the caller
            continue
        spans.append(list(span))
        position = span[1]
        gold.append({key: unit.get(key) for key in ("ai", "stance", "holder", "cue", "role")})
    return {"id": row["doc"], "text": text, "sentences": spans, "gold": gold, "script": row.get("script") or _script(text)}


def _script(text: str) -> str:
    """hant when the text has more traditional-only characters than a trace (for sentence files)."""
    from pipeline.record.text import normalise

    changed = sum(a != b for a, b in zip(text, normalise(text)) if "\u4e00" <= a <= "\u9fff")
    return "hant" if changed >= max(3, len(text) // 200) else "hans"


def annotate_stages(records: list[dict]) -> list[dict]:
    """Run the real segment and NER stages (project config) over the records."""
    import yaml

    from pipeline.components import annotate_with, ner, segment

    config = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    records = annotate_with(segment, records, segment.load({**config["segment"], "processes": 1}))
    # as unseen pages are read (no page rescorer, the CRF trained without these pages): NER
    # learnt from these very pages' entity lists, and the holder
    # model must learn from the names an unseen page gets
    return annotate_with(ner, records, ner.load(ner.unseen_pages_config(config["ner"])))


def build_records(path: Path, cache: bool = True, sentence_view: bool = False) -> list[dict]:
    """Pipeline-like records of a gold file, cached by the gold and stage files' bytes."""
    digest = hashlib.sha256(Path(path).read_bytes() + (b"sentence-view" if sentence_view else b""))
    for name in _STAGE_FILES:
        source = REPO_ROOT / name
        if source.exists():
            digest.update(source.read_bytes())
    cached_file = cache_dir("stance-holder") / f"records-{Path(path).stem}-{digest.hexdigest()[:16]}.jsonl"
    if cache and cached_file.exists():
        return list(read_jsonl(cached_file))
    records = annotate_stages(doc_records(path, sentence_view))
    if cache:
        cached_file.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(cached_file, records)
    return records


if __name__ == "__main__":  # python -m pipeline.train.holder_data PATH: build and cache, print counts
    import sys
    import time

    for arg in sys.argv[1:]:
        began = time.time()
        built = build_records(Path(arg))
        units = sum(len(r["gold"]) for r in built)
        print(json.dumps({"file": arg, "records": len(built), "units": units, "seconds": round(time.time() - began, 1)}))
