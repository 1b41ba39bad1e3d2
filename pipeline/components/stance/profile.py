"""The document view of a stance layer: label counts, mean score, and each holder's side
with its evidence sentences. Shared by every stance component, so the views read one shape."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.components.stance.lexicon import LABELS


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
        evidence = sorted((e for e in items if e["stance"] != "neutral"), key=lambda e: -abs(e["score"]))
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
