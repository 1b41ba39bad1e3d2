"""The stance layer's shape, shared by every stance component so the views read one shape:
its sentence entries (:func:`sentence_entries`), and the document view (:func:`profile`):
label counts, mean score, and each holder's side with its evidence sentences."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.components.stance.lexicon import LABELS
from pipeline.components.stance.names import canonical_holder


def label_for_score(mean_score: float) -> str:
    return "concerned" if mean_score > 0.15 else "dismissive" if mean_score < -0.15 else "neutral"


def profile(entries: list[dict]) -> dict:
    """Document view: label counts, mean score, and each holder's stance with evidence."""
    counts = Counter(entry["stance"] for entry in entries)
    by_holder: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if entry["holder"]:
            by_holder[entry["holder"]].append(entry)
    holders = []
    for holder, items in by_holder.items():
        mean = sum(e["score"] for e in items) / len(items)
        # sentences that name the holder first (a continuation sentence may be someone else's
        # words the holder model carried over), then the strongest
        evidence = sorted((e for e in items if e["stance"] != "neutral"),
                          key=lambda e: (not names_holder(e["text"], holder), -abs(e["score"])))
        holders.append(
            {
                "holder": holder,
                "stance": label_for_score(mean),
                "mean_score": round(mean, 3),
                "sentences": len(items),
                "evidence": [e["text"] for e in evidence[:3]],
            }
        )
    holders.sort(key=lambda h: (-h["sentences"], h["holder"]))
    mean_score = sum(e["score"] for e in entries) / len(entries) if entries else 0.0
    return {
        "counts": {label: counts.get(label, 0) for label in LABELS},
        "mean_score": round(mean_score, 3),
        "holders": holders,
    }


def names_holder(text: str, holder: str) -> bool:
    """Does the sentence write the holder's name (or a part of a dotted name: 马斯克 of 埃隆·马斯克)?"""
    parts = [holder, *(p for p in holder.replace("•", "·").replace("・", "·").split("·") if len(p) >= 2)]
    return any(part in text for part in parts)


def entity_names(record: dict) -> tuple[list[str], list[str]]:
    """The record's PER and ORG names and its PER names (each with its aliases)."""
    entities = record.get("entities") or []
    forms = lambda types: [n for e in entities if e.get("type") in types for n in [e["name"], *e.get("aliases", [])]]
    return forms(("PER", "ORG")), forms(("PER",))


def sentence_entries(record: dict, spans, about_ai: list[bool], stances, holders: list[str | None]) -> list[dict]:
    """One entry per AI sentence: span, text, stance, score, confidence, cue (a span of the
    record's text) and holder (the canonical name of its NER entity)."""
    text, entries = record["text"], []
    for index, ((begin, end), ai, stance, holder) in enumerate(zip(spans, about_ai, stances, holders)):
        if not ai:
            continue
        cue = None
        if stance.cue:
            cue_begin, cue_end = begin + stance.cue[0], begin + stance.cue[1]
            cue = [text[cue_begin:cue_end], cue_begin, cue_end]
        entries.append({
            "sent": index, "begin": begin, "end": end, "text": text[begin:end], "about_ai": True,
            "stance": stance.label, "score": stance.score, "confidence": stance.confidence,
            "cue": cue, "holder": canonical_holder(holder, record, holders),
        })
    return entries
