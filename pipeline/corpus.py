"""Corpus-level views built from the final shards: the entity index and the holder table."""

from __future__ import annotations

from pathlib import Path

from pipeline.record import read_reduced, write_jsonl


def read_shards(paths: list[str | Path], cache_file: Path | None = None) -> list[dict]:
    """The id, entities and stance of every record, sorted by id (the rest is not needed)."""
    records = read_reduced(paths, ("id", "entities", "stance"), cache_file)
    return sorted(records, key=lambda r: r["id"])


def build(paths: list[str | Path], out_dir: str | Path) -> dict:
    """Write ``entity_index.jsonl`` and ``holder_table.jsonl`` for the whole batch."""
    from pipeline.ner import entity_index
    from pipeline.stance import holder_table

    out_dir = Path(out_dir)
    records = read_shards(paths, out_dir.parent / ".cache" / "views" / "corpus.json")
    entities = write_jsonl(out_dir / "entity_index.jsonl", entity_index(records))
    holders = write_jsonl(out_dir / "holder_table.jsonl", holder_table(records))
    return {"docs": len(records), "entities": entities, "holders": holders}
