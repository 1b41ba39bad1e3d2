"""The stance lexicon: AI terms and cue categories (``config/stance/cues.yaml``), the speaker
names of the gazetteer, and the result types shared by the rules' classifier and speakers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.components.gazetteer import read_gazetteer
from pipeline.config import with_defaults
from pipeline.paths import REPO_ROOT
from pipeline.record.text import normalise

CONCERNED_CATEGORIES = ("risk", "harm", "governance")
DISMISSIVE_CATEGORIES = ("dismissal", "criticism", "deflation", "reassurance")
LABELS = ("concerned", "neutral", "dismissive")
CLAUSE_END = "，,。；;：:！？!?\n"


@dataclass
class Cue:
    """One lexicon hit: its category, span in the sentence and signed strength."""

    category: str
    begin: int
    end: int
    weight: float

    @property
    def polarity(self) -> int:
        return 1 if self.category in CONCERNED_CATEGORIES or self.category == "negated_dismissal" else -1


@dataclass
class SentenceStance:
    label: str
    score: float
    confidence: float
    cue: tuple[int, int] | None  # span in the sentence


@dataclass
class StanceModel:
    """The compiled lexicon and the stage options (what ``load`` returns)."""

    ai_terms: re.Pattern
    cues: dict[str, list[tuple[re.Pattern, float]]]
    neutralizers: re.Pattern
    negators: re.Pattern
    contrast: re.Pattern
    concession: re.Pattern
    unnamed_groups: re.Pattern
    criticism_targets: re.Pattern
    known_names: tuple[str, ...] = ()  # people and organisations from the NER gazetteer
    threshold: float = 0.5


def _config_file(name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else REPO_ROOT / path


def _gazetteer_names(path: Path) -> tuple[str, ...]:
    """PER/ORG names and aliases of the NER gazetteer (so 微软表示 has a speaker without NER)."""
    names = {
        normalise(form)
        for entry in read_gazetteer(path, missing_ok=True).entries
        if entry.type in ("PER", "ORG")
        for form in entry.forms
    }
    return tuple(sorted(names, key=len, reverse=True))


def load(config: dict | None = None) -> StanceModel:
    """Compile the cue lexicon (``config["lexicon"]``) and read speaker names from the NER
    gazetteer (``config["gazetteer"]``; optional)."""
    config = with_defaults("stance", config)
    lexicon_path = _config_file(config["lexicon"])
    lexicon = yaml.safe_load(lexicon_path.read_text(encoding="utf-8"))
    cues = {
        category: [(re.compile(entry["re"]), float(entry["w"])) for entry in lexicon[category]]
        for category in CONCERNED_CATEGORIES + DISMISSIVE_CATEGORIES
    }
    return StanceModel(
        ai_terms=re.compile("|".join(f"(?:{term})" for term in lexicon["ai_terms"])),
        cues=cues,
        neutralizers=re.compile("|".join(lexicon["neutralizers"])),
        negators=re.compile(lexicon["negators"]),
        contrast=re.compile(f"(?<!不)(?:{lexicon['contrast']})"),
        concession=re.compile(lexicon["concession"]),
        unnamed_groups=re.compile(lexicon["unnamed_groups"]),
        criticism_targets=re.compile(lexicon["criticism_targets"]),
        known_names=_gazetteer_names(_config_file(config["gazetteer"])),
        threshold=float(config["threshold"]),
    )


def is_about_ai(text: str, model: StanceModel) -> bool:
    """True when the sentence names AI, a model family, an AI lab or an AI product."""
    return bool(model.ai_terms.search(normalise(text)))
