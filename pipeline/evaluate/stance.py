"""``python -m pipeline eval stance [--gold PATH] [--json]``: score the AI-risk stance stage.

Gold: JSON lines with id, doc, text, stance, holder, cue, source (default
``$ZHNLP_SHARED/eval/ai_stance/dev.jsonl``); any file of that format works. Sentences are
grouped by ``doc`` in file order and each document runs through the holder logic in order,
so pronoun and quotation continuation behave as in the pipeline; each document first goes
through the segment and NER stages, whose names the holder rules use as in the pipeline.

Measures: stance macro-F1 and per-class P/R/F1; holder accuracy on gold sentences with a
named holder (a wrong ``None`` is wrong) and on those with a ``None`` holder; AI detection
P/R on the sentences of every gold document whose raw text is in ``raw/`` (a sentence of such
a document is about AI exactly when it is in the gold file). Peer: the same cue lexicon
without structure (a keyword count, no negation, contrast, muting or questions).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import OrderedDict
from pathlib import Path

from pipeline.components.stance import lexicon
from pipeline.components.stance.names import same_holder
from pipeline.components.stance import speakers
from pipeline.record.text import normalise
from pipeline.components import annotate_with
from pipeline.components.stance import cues as stance
from pipeline.record.text import to_halfwidth
from pipeline.paths import REPO_ROOT, shared_path

HOLDER_MAPPING = (
    "holders compared after traditional→simplified, half-width and whitespace removal; "
    "two names match when equal or one ends with the other (马斯克~埃隆·马斯克, LeCun~Yann LeCun)"
)


def read_gold(path: Path) -> "OrderedDict[str, list[dict]]":
    docs: OrderedDict[str, list[dict]] = OrderedDict()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                docs.setdefault(row["doc"], []).append(row)
    return docs


def prf(gold: list[str], predicted: list[str], labels=lexicon.LABELS) -> dict:
    """Per-class precision/recall/F1 and their macro-F1."""
    per_class = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        n_pred = sum(p == label for p in predicted)
        n_gold = sum(g == label for g in gold)
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_class[label] = {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4), "n": n_gold}
    macro = sum(c["f1"] for c in per_class.values()) / len(labels)
    return {"macro_f1": round(macro, 4), "per_class": per_class}


def keyword_baseline(text: str, model: lexicon.StanceModel) -> str:
    """Peer: count the same cues with no structure at all."""
    normalised = normalise(text)
    total = sum(
        weight * (1 if category in lexicon.CONCERNED_CATEGORIES else -1)
        for category, patterns in model.cues.items()
        for pattern, weight in patterns
        if pattern.search(normalised)
    )
    return "concerned" if total >= 0.5 else "dismissive" if total <= -0.5 else "neutral"


# ---------------------------------------------------------------- AI detection on the seeds

_MARKDOWN = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"\*\*"), ""),
    (re.compile(r"^\s*(?:[*+-]|\d+\.|>)\s+", re.M), ""),  # bullets and quotes
]
_SENTENCE = re.compile(r"[^\n]*?(?:[。！？!?]+[”」』’\"）)]*|$)")


def guideline_sentences(raw: str) -> list[str]:
    """Sentences as GUIDELINES.md cuts them: strip markdown, split at newlines and 。！？!?."""
    for pattern, replacement in _MARKDOWN:
        raw = pattern.sub(replacement, raw)
    sentences = []
    for line in raw.splitlines():
        sentences += [s.strip() for s in _SENTENCE.findall(line) if s.strip()]
    return sentences


def ai_detection(docs, model, raw_dir: Path) -> dict | None:
    """P/R of ``is_about_ai`` on every sentence of the gold documents whose raw file is here."""
    tp = fp = fn = matched = gold_total = 0
    for rows in docs.values():
        raw_path = raw_dir / rows[0].get("source", "")
        if not rows[0].get("source") or not raw_path.is_file():
            continue
        gold_texts = {to_halfwidth(r["text"]).strip() for r in rows}
        gold_total += len(gold_texts)
        for sentence in guideline_sentences(raw_path.read_text(encoding="utf-8")):
            sentence = to_halfwidth(sentence)
            is_gold = sentence in gold_texts
            matched += is_gold
            predicted = stance.is_about_ai(sentence, model)
            tp += predicted and is_gold
            fp += predicted and not is_gold
            fn += is_gold and not predicted
    if not gold_total:
        return None
    return {
        "p": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "r": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "gold_sentences_found_in_raw": matched,
        "gold_sentences": gold_total,
    }


# ---------------------------------------------------------------- main


def document_records(docs, rescore: bool = True) -> list[dict]:
    """Each gold document as the pipeline sees it: its sentences joined into one text (one
    sentence a line) and run through the segment and NER stages with the project config
    (``rescore=False``: NER as for an unseen page, :func:`~pipeline.components.ner.unseen_pages_config`,
    for the documents it learnt from)."""
    import yaml

    from pipeline.components import ner
    from pipeline.components import segment
    from pipeline.paths import CONFIG_DIR

    config = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    records = []
    for doc, rows in docs.items():
        text, spans = "", []
        for row in rows:
            spans.append([len(text), len(text) + len(row["text"])])
            text += row["text"] + "\n"
        records.append({"id": doc, "text": text, "sentences": spans})
    records = annotate_with(segment, records, segment.load(config["segment"]))
    return annotate_with(ner, records, ner.load(ner.unseen_pages_config(config["ner"]) if not rescore else config["ner"]))


def document_names(docs, records: list[dict] | None = None, rescore: bool = True) -> dict[str, tuple[list[str], list[str]]]:
    """Each gold document's (PER+ORG names, PER names) as the pipeline finds them, since the
    holder rules take people's names from the NER layer."""
    names = {}
    for record in records or document_records(docs, rescore):
        entities = record.get("entities") or []
        forms = lambda types: [n for e in entities if e["type"] in types for n in [e["name"], *e.get("aliases", [])]]
        names[record["id"]] = (forms(("PER", "ORG")), forms(("PER",)))
    return names


def evaluate_component(docs, name: str, records: list[dict] | None = None) -> tuple[dict, list[dict]]:
    """A registered stance component end to end on the gold documents (after segment and
    NER): a gold sentence it does not find about AI counts as neutral with no holder."""
    import yaml

    from pipeline.api import component
    from pipeline.config import with_defaults
    from pipeline.paths import CONFIG_DIR

    records = records or document_records(docs)
    config = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    stance_component = component("stance", with_defaults("stance", {**config.get("stance", {}), "component": name}))
    gold_labels, predicted, rows_out = [], [], []
    named_hits = named_total = null_hits = null_total = 0
    for record, (doc, rows) in zip(stance_component(records), docs.items()):
        found = {entry["sent"]: entry for entry in record["stance"]["sentences"]}
        for index, row in enumerate(rows):
            entry = found.get(index, {"stance": "neutral", "holder": None, "score": 0.0})
            gold_labels.append(row["stance"])
            predicted.append(entry["stance"])
            if row.get("holder"):
                named_total += 1
                named_hits += same_holder(entry["holder"], row["holder"])
            else:
                null_total += 1
                null_hits += entry["holder"] is None
            rows_out.append({"id": row["id"], "gold": row["stance"], "pred": entry["stance"], "score": entry["score"],
                             "gold_holder": row.get("holder"), "holder": entry["holder"], "text": row["text"],
                             "about_ai": index in found})
    report = prf(gold_labels, predicted)
    report["holder_acc"] = round(named_hits / named_total, 4) if named_total else None
    report["holder_null_acc"] = round(null_hits / null_total, 4) if null_total else None
    report["ai_recall"] = round(sum(r["about_ai"] for r in rows_out) / max(1, len(rows_out)), 4)
    report["n"] = {"sentences": len(gold_labels), "docs": len(docs), "named_holders": named_total, "null_holders": null_total}
    return report, rows_out


def evaluate(docs, model, records: list[dict] | None = None) -> tuple[dict, list[dict]]:
    """The cue rules (``zh.stance.cues.v2``) on gold sentences, each taken as about AI."""
    gold_labels, predicted, baseline, rows_out = [], [], [], []
    named_hits = named_total = null_hits = null_total = 0
    names = document_names(docs, records)
    for doc, rows in docs.items():
        texts = [r["text"] for r in rows]
        stances = [stance.classify(t, model) for t in texts]
        holders = speakers.sentence_holders(texts, stances, model, *names[doc])
        for row, result, holder in zip(rows, stances, holders):
            gold_labels.append(row["stance"])
            predicted.append(result.label)
            baseline.append(keyword_baseline(row["text"], model))
            if row.get("holder"):
                named_total += 1
                named_hits += same_holder(holder, row["holder"])
            else:
                null_total += 1
                null_hits += holder is None
            rows_out.append({"id": row["id"], "gold": row["stance"], "pred": result.label, "score": result.score,
                             "gold_holder": row.get("holder"), "holder": holder, "text": row["text"]})
    report = prf(gold_labels, predicted)
    report["holder_acc"] = round(named_hits / named_total, 4) if named_total else None
    report["holder_null_acc"] = round(null_hits / null_total, 4) if null_total else None
    report["n"] = {"sentences": len(gold_labels), "docs": len(docs), "named_holders": named_total, "null_holders": null_total}
    report["peers"] = {"lexicon": {"macro_f1": prf(gold_labels, baseline)["macro_f1"]}}
    return report, rows_out


def print_table(report: dict) -> None:
    print(f"stance  {report.get('component', stance.VERSION)}  ({report['n']['sentences']} sentences, {report['n']['docs']} documents)")
    print(f"{'class':<12}{'P':>8}{'R':>8}{'F1':>8}{'n':>6}")
    for label, c in report["per_class"].items():
        print(f"{label:<12}{c['p']:>8.3f}{c['r']:>8.3f}{c['f1']:>8.3f}{c['n']:>6}")
    print(f"{'macro-F1':<12}{report['macro_f1']:>24.3f}   peer lexicon (no structure): {report['peers']['lexicon']['macro_f1']:.3f}")
    rules = report["peers"].get(stance.VERSION)
    if rules:
        print(f"peer {stance.VERSION}: macro-F1 {rules['macro_f1']:.3f}, holder named {rules['holder_acc']}, null {rules['holder_null_acc']}")
    print(f"holder accuracy, named gold holders: {report['holder_acc']}   null gold holders: {report['holder_null_acc']}")
    print(f"holder mapping: {HOLDER_MAPPING}")
    detect = report.get("ai_detect")
    if detect:
        print(f"AI detection on seed sentences: P {detect['p']:.3f}  R {detect['r']:.3f} "
              f"({detect['gold_sentences_found_in_raw']}/{detect['gold_sentences']} gold sentences found in raw/)")
    else:
        print("AI detection: no gold document has its raw text in raw/")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline eval stance", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, help="gold JSON lines (default: shared eval/ai_stance/dev.jsonl)")
    parser.add_argument("--raw", type=Path, default=REPO_ROOT / "raw", help="folder with the seed raw texts")
    parser.add_argument("--errors", type=Path, help="write per-sentence predictions here (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    parser.add_argument("--component", help="stance component to score (default: the one config/config.yaml runs)")
    args = parser.parse_args(argv)

    import yaml

    from pipeline.paths import CONFIG_DIR
    from pipeline.stages import component_for

    config = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    name = args.component or component_for("stance", config.get("stance")).name
    gold_path = args.gold or shared_path("eval", "ai_stance", "dev.jsonl")
    model = stance.load({})
    docs = read_gold(gold_path)
    records = document_records(docs)
    rules_report, rule_rows = evaluate(docs, model, records)
    if name == stance.VERSION:
        report, rows = rules_report, rule_rows
    else:  # the configured component is ours; the rules are its peer in the same run
        report, rows = evaluate_component(docs, name, records)
        report["peers"] = {**rules_report["peers"], stance.VERSION: {
            key: rules_report[key] for key in ("macro_f1", "per_class", "holder_acc", "holder_null_acc")}}
    report["component"] = name
    report["ai_detect"] = ai_detection(docs, model, args.raw)
    report["holder_mapping"] = HOLDER_MAPPING
    report["gold"] = str(gold_path)
    if args.errors:
        args.errors.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print_table(report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0
