"""``python -m pipeline.evaluate.stance_docs [--gold PATH] --json``: the pipeline on whole
documents, cross-validated (each fold's documents scored by a model trained without them).

Gold: fully labelled documents in the train_docs.jsonl format (default: the shared
train_docs.jsonl). Each document becomes a record whose ``text`` is the page text as stored
and whose sentences are the gold units, found in that text in order (units not found are
counted and skipped); the record then goes through the segment and NER stages (project
config) and the stance stage. The clean stage is not run: the gold units are cut from the
stored text, and aligning them to cleaned text would mix cleaning errors into this score.

Systems: ``learned`` (the component, one model per fold trained on the other folds'
documents + dev with the variants of ``models/stance/config.json``; the softmax temperature is
the shipped model's; holders from the ``models/stance_holder`` recipe retrained per fold on the
other folds' pages) and ``rules`` (``zh.stance.cues.v2``) on the same records.

Measures: AI-detection P/R over all units; stance macro-F1 over gold AI units (a missed
one counts as neutral); named-holder accuracy (``same_holder``; a missed sentence is wrong);
who-holds-what per document: gold holder sides are derived from gold stances exactly as the
profile derives them (scores +1/0/−1, mean, ±0.15), recall = share of gold holders whose
profile side is right, precision = share of profile holders on their gold side (a profile
holder absent from the gold is wrong); both averaged over documents and pooled (``micro``),
over all sides and over the non-neutral sides only (``sided``).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipeline.components import annotate_with
from pipeline.components.stance.names import same_holder
from pipeline.components.stance import cues as rules
from pipeline.components.stance import features
from pipeline.components.stance.learned import LearnedStance
from pipeline.evaluate.stance import prf
from pipeline.evaluate.stance_cv import cross_validated_main
from pipeline.paths import CONFIG_DIR, MODELS_DIR
from pipeline.train import stance_model as trainer

GOLD_SCORE = {"concerned": 1.0, "neutral": 0.0, "dismissive": -1.0}


class CachedEncoder:
    """The component's encoder, read through the training embedding cache (same vectors)."""

    def __init__(self, cache: features.EmbeddingCache):
        self.cache = cache

    def embed(self, texts):
        return self.cache.embed(list(texts))


def build_records(docs: list[trainer.Doc]) -> tuple[list[dict], list[list[int | None]]]:
    """Records (text, sentences) after segment and NER, and each gold unit's sentence index."""
    from pipeline.components import ner
    from pipeline.components import segment

    records, unit_index = [], []
    for doc in docs:
        text, cursor, spans, where = doc.text, 0, [], []
        for unit in doc.texts:
            needle = unit.strip()
            at = text.find(needle, cursor) if needle else -1
            if at < 0:
                where.append(None)
                continue
            where.append(len(spans))
            spans.append([at, at + len(needle)])
            cursor = at + len(needle)
        records.append({"id": doc.id, "text": text, "meta": {}, "sentences": spans})
        unit_index.append(where)
    config = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    records = annotate_with(segment, records, segment.load(config["segment"]))
    # NER learnt from train_docs' entity lists: read them as unseen pages are (no rescorer, CRF without the pages)
    records = annotate_with(ner, records, ner.load(ner.unseen_pages_config(config["ner"])))
    return records, unit_index


def _merge_forms(holders: list[str]) -> dict[str, str]:
    """Each gold holder form → the first form of the document that ``same_holder`` matches."""
    keys: list[str] = []
    mapping = {}
    for holder in holders:
        key = next((k for k in keys if same_holder(k, holder)), None)
        if key is None:
            keys.append(holder)
            key = holder
        mapping[holder] = key
    return mapping


def gold_profile(doc: trainer.Doc) -> list[dict]:
    forms = _merge_forms([h for h, ai in zip(doc.holders, doc.about_ai) if ai and h])
    entries = [{"holder": forms[h], "score": GOLD_SCORE[s], "stance": s, "text": t}
               for t, ai, s, h in zip(doc.texts, doc.about_ai, doc.stances, doc.holders) if ai and h]
    return rules.profile(entries)["holders"]


def score(docs, records, unit_index, layers) -> dict:
    gold_ai, pred_ai, gold_labels, pred_labels = [], [], [], []
    named_hits = named_total = 0
    recall, precision = {"all": [], "sided": []}, {"all": [], "sided": []}
    for doc, record, where, layer in zip(docs, records, unit_index, layers):
        by_sentence = {entry["sent"]: entry for entry in layer["sentences"]}
        for k, (ai, label, holder) in enumerate(zip(doc.about_ai, doc.stances, doc.holders)):
            entry = by_sentence.get(where[k]) if where[k] is not None else None
            gold_ai.append(ai)
            pred_ai.append(entry is not None)
            if ai:
                gold_labels.append(label)
                pred_labels.append(entry["stance"] if entry else "neutral")
                if holder:
                    named_total += 1
                    named_hits += bool(entry) and same_holder(entry["holder"], holder)
        gold_sides = gold_profile(doc)
        pred_sides = layer["profile"]["holders"]

        def matches(holder, sides):
            return [s for s in sides if same_holder(s["holder"], holder)]

        for scope in ("all", "sided"):
            gold_scope = [g for g in gold_sides if scope == "all" or g["stance"] != "neutral"]
            pred_scope = [p for p in pred_sides if scope == "all" or p["stance"] != "neutral"]
            hits = [any(p["stance"] == g["stance"] for p in matches(g["holder"], pred_sides)) for g in gold_scope]
            right = [any(g["stance"] == p["stance"] for g in matches(p["holder"], gold_sides)) for p in pred_scope]
            if hits:
                recall[scope].append(hits)
            if right:
                precision[scope].append(right)
    tp = sum(g and p for g, p in zip(gold_ai, pred_ai))
    report = prf(gold_labels, pred_labels)
    report["ai_detect"] = {"p": round(tp / max(sum(pred_ai), 1), 4), "r": round(tp / max(sum(gold_ai), 1), 4)}
    report["holder_acc"] = round(named_hits / named_total, 4) if named_total else None
    for name, table in (("holder_side_recall", recall), ("holder_side_precision", precision)):
        report[name] = {
            scope: {"per_doc": round(sum(sum(h) / len(h) for h in rows) / len(rows), 4) if rows else None,
                    "micro": round(sum(map(sum, rows)) / max(sum(map(len, rows)), 1), 4), "docs": len(rows)}
            for scope, rows in table.items()
        }
    return report


def fold_holder_model(gold: Path, in_training, model_dir: Path = MODELS_DIR / "stance_holder"):
    """The shipped holder recipe (``models/stance_holder/config.json``: learner, history) trained
    only on the documents ``in_training`` accepts, on both views of each page as the trainer does."""
    from pipeline.components.stance import holders as H
    from pipeline.train import stance_holders as holder_trainer

    recipe = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    records = holder_trainer.training_records(gold, sentence_view=recipe.get("sentence_view", True))
    train = [r for r in records if in_training(r["id"])]
    rule_model = rules.load({})
    kind, weights, vocabulary = holder_trainer.fit(train, recipe["learner"], recipe["previous_in_training"],
                                                   recipe.get("seed", 0), H.HolderModel(rule_model=rule_model))
    return H.HolderModel(H.make_scorer(kind, weights), vocabulary, rule_model=rule_model,
                         config={"beam": recipe.get("beam", 1)})


class _MemoHolders:
    """A fold's holder model whose decoding is kept per record, so the same fold can be scored
    under several ``min_confidence`` floors without decoding again."""

    def __init__(self, model):
        self.model, self.memo, self.floor = model, {}, 0.0

    def predict(self, record, indices, stances):
        key = (record["id"], tuple(indices), tuple(stances))
        if key not in self.memo:
            self.memo[key] = self.model.predict_with_confidence(record, indices, stances)
        return self.model.confident(self.memo[key], self.floor)


def evaluate(gold: Path, dev: Path | None, model_dir: Path = MODELS_DIR / "stance", cache: Path | None = None,
             n_folds: int = 5, seed: int = trainer.SEED, holder_floors: tuple[float, ...] = ()) -> dict:
    """``holder_floors``: also score the learned system with these holder ``min_confidence``
    values (``pipeline.train.holder_threshold`` chooses one from them)."""
    all_docs = trainer.read_docs(gold, dev)
    folds = trainer.folds_of(all_docs, n_folds, seed)
    docs = [d for d in all_docs if d.origin == "train_docs"]
    records, unit_index = build_records(docs)
    chosen = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    embeddings = features.EmbeddingCache(cache or trainer.default_cache())
    rule_model = rules.load({})
    shipped_floor = float(json.loads((MODELS_DIR / "stance_holder" / "config.json").read_text(encoding="utf-8"))
                          .get("min_confidence", 0.0))
    floors = tuple(dict.fromkeys((shipped_floor, *holder_floors)))
    layers_at: dict[float, dict[str, dict]] = {floor: {} for floor in floors}
    for k in range(n_folds):
        train = [d for d in all_docs if folds[d.id] != k]
        test = [r for r in records if folds[r["id"]] == k]
        if not test:
            continue
        stance_net, detector_net, config = trainer.train_networks(
            train, embeddings, rule_model, chosen["stance_variant"], chosen["detector_variant"],
            chosen.get("temperature", 1.0), seed)
        component = LearnedStance({}, encoder=CachedEncoder(embeddings), networks=(stance_net, detector_net),
                                  model_config=config)
        component.holders = _MemoHolders(fold_holder_model(gold, lambda doc_id: folds.get(doc_id) != k))
        for floor in floors:
            component.holders.floor = floor
            for record, layer in zip(test, component.predict(test)):
                layers_at[floor][record["id"]] = layer
    learned_layers = layers_at[shipped_floor]
    rule_layers = [out["stance"] for out in annotate_with(rules, records, rule_model)]
    return {
        "systems": {
            "learned": score(docs, records, unit_index, [learned_layers[r["id"]] for r in records]),
            "rules": score(docs, records, unit_index, rule_layers),
        },
        "n": {"docs": len(docs), "units": sum(len(d.texts) for d in docs),
              "units_not_found": sum(w is None for ws in unit_index for w in ws),
              "gold_ai": sum(sum(d.about_ai) for d in docs)},
        "variants": {"stance": chosen["stance_variant"], "detector": chosen["detector_variant"],
                     "holders": "models/stance_holder recipe, retrained per fold", "holder_min_confidence": shipped_floor},
        "holder_floors": {str(floor): score(docs, records, unit_index, [layers_at[floor][r["id"]] for r in records])
                          for floor in floors if floor != shipped_floor},
        "folds": n_folds, "seed": seed, "gold": str(gold),
    }


def print_table(result: dict) -> None:
    n = result["n"]
    print(f"stance on whole documents, {result['folds']}-fold CV ({n['docs']} documents, {n['units']} units, "
          f"{n['units_not_found']} not found in the text, {n['gold_ai']} gold AI)")
    print(f"{'system':<9}{'AI P':>7}{'AI R':>7}{'macroF1':>9}{'holder':>8}{'side R':>8}{'side P':>8}{'sided R':>9}{'sided P':>9}")
    for name, r in result["systems"].items():
        recall, precision = r["holder_side_recall"], r["holder_side_precision"]
        print(f"{name:<9}{r['ai_detect']['p']:>7.3f}{r['ai_detect']['r']:>7.3f}{r['macro_f1']:>9.4f}{r['holder_acc']:>8.3f}"
              f"{recall['all']['per_doc'] or 0:>8.3f}{precision['all']['per_doc'] or 0:>8.3f}"
              f"{recall['sided']['per_doc'] or 0:>9.3f}{precision['sided']['per_doc'] or 0:>9.3f}")
    print("side R/P: per-document share of gold holders whose profile side is right / of profile holders on their gold side")


def main(argv: list[str] | None = None) -> int:
    return cross_validated_main("python -m pipeline eval stance-docs", __doc__.splitlines()[0], evaluate, print_table, argv)


if __name__ == "__main__":
    raise SystemExit(main())
