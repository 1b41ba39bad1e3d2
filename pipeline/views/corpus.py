"""Corpus-level views built from the final shards: the entity index and the holder table.

Both read only ``id``, ``entities`` and ``stance`` of each record (cut-down records cached by
line digest), so a new document costs its own share.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pathlib import Path

from pipeline.components.ner import name_key, tagging_copy
from pipeline.components.stance.profile import label_for_score
from pipeline.record.text import normalise
from pipeline.running.caches import read_reduced
from pipeline.running.files import write_jsonl


def read_shards(paths: list[str | Path], cache_file: Path | None = None) -> list[dict]:
    """The id, entities and stance of every record, sorted by id (the rest is not needed)."""
    records = read_reduced(paths, ("id", "entities", "stance"), cache_file)
    return sorted(records, key=lambda r: r["id"])


def build(paths: list[str | Path], out_dir: str | Path) -> dict:
    """Write ``entity_index.jsonl`` and ``holder_table.jsonl`` for the whole batch."""
    out_dir = Path(out_dir)
    records = read_shards(paths, out_dir.parent / ".cache" / "views" / "corpus.json")
    entities = write_jsonl(out_dir / "entity_index.jsonl", entity_index(records))
    holders = write_jsonl(out_dir / "holder_table.jsonl", holder_table(records))
    return {"docs": len(records), "entities": entities, "holders": holders}


def entity_index(records: list[dict]) -> list[dict]:
    """Corpus-level index: one row per entity of the batch with its documents and mention count.

    Rows are keyed by :func:`name_key` (so 馬斯克 and 马斯克, X.AI and X.ai are one row), and
    then a person row whose name is a shorter form of exactly one longer person row is folded
    into it (:func:`link_forms`): 马斯克 into 埃隆·马斯克 when some document wrote the full
    name. Rows that took in other names list them under ``aliases``.

    Document ids are unique (the clean stage quarantines repeats), so a document is already
    in a row only if one of its own entities put it there last: no search through the list,
    which made the index quadratic in the documents of common names (中国, 习近平).
    """
    rows: dict[tuple[str, str], dict] = {}
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        for ent in record.get("entities", []):
            key = (name_key(ent["name"]), ent["type"])
            row = rows.setdefault(key, {"name": tagging_copy(ent["name"]), "type": ent["type"],
                                        "docs": [], "mentions": 0})
            if not row["docs"] or row["docs"][-1] != record["id"]:
                row["docs"].append(record["id"])
            row["mentions"] += len(ent["mentions"])
            forms[key].update(name_key(a) for a in ent.get("aliases", []))
    return sorted(link_forms(rows, forms, [r["id"] for r in records]), key=lambda r: (-r["mentions"], r["name"]))


def _name_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\s·]+", tagging_copy(name).lower()) if p]


def link_forms(rows: dict, forms: dict, order: list[str]) -> list[dict]:
    """Fold each person row into the one multi-part person name (埃隆·马斯克, JD Vance) that
    owns it: as one of its parts (马斯克, Vance) or as a within-document alias of it (伊隆·马斯克
    is in the gazetteer's). An ambiguous short name (two people called 盖茨) stays its own
    row. One-part names own nothing, so a boundary error (阮富仲佩挂) cannot swallow 阮富仲
    across the batch; places and organisations are not folded, or a document's 英国伦敦
    would swallow every 英国 of the batch."""
    known: dict[tuple[str, str], set] = defaultdict(set)
    for (key, kind), row in rows.items():
        parts = _name_parts(row["name"])
        if kind != "PER" or len(parts) < 2:
            continue
        for alias in forms[(key, kind)] | set(parts):
            if alias != key:
                known[(alias, kind)].add((key, kind))
    # Only towards a longer key, so the links form no cycle.
    targets = {}
    for row_key in rows:
        owners = {k for k in known.get(row_key, ()) if k in rows and len(k[0]) > len(row_key[0])}
        if len(owners) == 1:
            targets[row_key] = owners.pop()

    def root(key):
        while key in targets:
            key = targets[key]
        return key

    position = {doc: i for i, doc in enumerate(order)}
    out = {key: dict(row) for key, row in rows.items() if key not in targets}
    for key, row in rows.items():
        if key in targets:
            main = out[root(key)]
            main["docs"] = sorted(set(main["docs"]) | set(row["docs"]), key=position.get)
            main["mentions"] += row["mentions"]
            main["aliases"] = sorted(set(main.get("aliases", [])) | {row["name"]})
    return list(out.values())


class HolderKeys:
    """The first holder seen that :func:`same_holder` matches a new one, found through two
    dictionaries instead of comparing with every holder so far (quadratic at scale).

    Forms are compared as ``same_holder`` does (normalised, no whitespace): two forms match
    when equal or when the shorter, of two or more characters, ends the longer.
    """

    def __init__(self):
        self.keys: list[str] = []
        self.by_form: dict[str, int] = {}    # a key's form → its index
        self.by_suffix: dict[str, int] = {}  # every ending (≥ 2 characters) of a key's form → the first index

    @staticmethod
    def _endings(form: str) -> list[str]:
        return [form[i:] for i in range(len(form) - 1)]  # the endings of two or more characters

    def key(self, holder: str) -> str:
        form = re.sub(r"\s+", "", normalise(holder))
        found = [self.by_form[end] for end in [form, *self._endings(form)] if end in self.by_form]
        if len(form) >= 2 and form in self.by_suffix:
            found.append(self.by_suffix[form])
        if found:
            return self.keys[min(found)]
        self.keys.append(holder)
        self.by_form.setdefault(form, len(self.keys) - 1)
        for end in self._endings(form):
            self.by_suffix.setdefault(end, len(self.keys) - 1)
        return holder


def holder_table(records: list[dict]) -> list[dict]:
    """Corpus view: each holder with its documents, mean score and strongest evidence sentence.

    Records come in id order with unique ids, so a document is already in a holder's row
    only if it was added last."""
    rows: dict[str, dict] = {}
    keys = HolderKeys()
    for record in records:
        for entry in (record.get("stance") or {}).get("sentences", []):
            holder = entry["holder"]
            if not holder:
                continue
            key = keys.key(holder)
            row = rows.setdefault(key, {"holder": key, "documents": [], "scores": [], "best": None})
            if not row["documents"] or row["documents"][-1] != record["id"]:
                row["documents"].append(record["id"])
            row["scores"].append(entry["score"])
            if row["best"] is None or abs(entry["score"]) > abs(row["best"]["score"]):
                row["best"] = {"doc": record["id"], "text": entry["text"], "score": entry["score"], "stance": entry["stance"]}
    table = []
    for row in rows.values():
        mean = sum(row["scores"]) / len(row["scores"])
        table.append(
            {
                "holder": row["holder"],
                "stance": label_for_score(mean),
                "mean_score": round(mean, 3),
                "sentences": len(row["scores"]),
                "documents": row["documents"],
                "strongest_evidence": row["best"],
            }
        )
    table.sort(key=lambda r: (-len(r["documents"]), -r["sentences"], r["holder"]))
    return table
