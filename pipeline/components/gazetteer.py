"""The gazetteer (``config/gazetteer.yaml``): names the training corpora never saw.

Read in one place for NER (EntityRuler patterns and the alias table) and for stance (known
speakers); the file's own header documents its format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class GazetteerEntry:
    name: str                      # canonical name stamped on the entity cluster
    type: str                      # PER, LOC, ORG, PRODUCT
    aliases: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Gazetteer:
    entries: tuple[GazetteerEntry, ...] = ()
    patterns: tuple[dict, ...] = field(default_factory=tuple)  # spaCy token patterns with a label


def read_gazetteer(path: str | Path, missing_ok: bool = False) -> Gazetteer:
    """The entries and patterns of a gazetteer file (empty when ``missing_ok`` and absent)."""
    path = Path(path)
    if missing_ok and not path.exists():
        return Gazetteer()
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = tuple(
        GazetteerEntry(entry["name"], entry["type"], tuple(entry.get("aliases", [])))
        for entry in spec.get("entities", [])
    )
    return Gazetteer(entries, tuple(spec.get("patterns", [])))
