"""``python -m pipeline.evaluate.stance_holders [--gold PATH] [--json]``: score the holder model.

Without ``--gold``: document-grouped cross-validation on ``train_docs.jsonl`` of the learner
and training mode the committed model was chosen with (``models/stance_holder/config.json``),
the holder rules of ``pipeline.components.stance`` scored on the same sentences in the same run.
With ``--gold`` (a whole-document file like ``train_docs.jsonl`` or a sentence file like
``dev.jsonl``): the committed model is applied as is.

Every document first goes through the real segment and NER stages
(``pipeline.train.holder_data``). Holders are scored as ``pipeline.evaluate.stance`` does:
named = share of gold named holders that ``same_holder`` matches (a wrong None is wrong),
null = share of gold-null sentences given no holder; overall and by script (hans/hant).
Both with the gold stance labels and with those of the cue rules (``pipeline.components.stance.cues.classify``).
Also: AI sentences per second of ``HolderModel.predict`` (records already annotated).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.components.stance.holders import HolderModel
from pipeline.paths import shared_path
from pipeline.train import stance_holders as training
from pipeline.train.holder_data import build_records


def apply_model(records, model: HolderModel) -> dict:
    rule_model = model.rule_model
    results = {}
    for source in ("gold", "rules"):
        tallies = {"rules": training.Tally(), "model": training.Tally()}
        training.score_documents(records, model, source, rule_model, tallies)
        results[source] = {who: tally.report() for who, tally in tallies.items()}
    return results


def speed(records, model: HolderModel) -> float:
    """AI sentences per second of ``predict`` (gold stances given, so no classifier runs)."""
    began, sentences = time.perf_counter(), 0
    for record in records:
        indices, stances, _ = training.ai_sentences(record)
        model.predict(record, indices, stances)
        sentences += len(indices)
    return round(sentences / (time.perf_counter() - began), 1)


def print_table(report: dict) -> None:
    print(f"holders  {report['mode']}  gold {report['gold']}")
    print("who: rules / model on the documents as given; (sentence view): the same CV documents as a sentence file")
    print(f"{'stances':<8}{'who':<22}{'named':>8}{'null':>8}{'named hans':>12}{'named hant':>12}{'null hans':>11}{'null hant':>11}")
    for source in ("gold", "rules"):
        for who in ("rules", "model", "rules_sentences", "model_sentences"):
            if who not in report["results"][source]:
                continue
            r = report["results"][source][who]
            cells = [r["named_acc"], r["null_acc"], r["named_hans_acc"], r["named_hant_acc"], r["null_hans_acc"], r["null_hant_acc"]]
            print(f"{source:<8}{who.replace('_sentences', ' (sentence view)'):<22}" + "".join(f"{'-' if c is None else f'{c:.3f}':>{w}}" for c, w in zip(cells, (8, 8, 12, 12, 11, 11))))
    n = report["results"]["gold"]["model"]
    print(f"counts: named {n['named_n']} (hans {n['named_hans_n']}, hant {n['named_hant_n']}), null {n['null_n']}; "
          f"speed {report['ai_sentences_per_s']} AI sentences/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.evaluate.stance_holders", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, help="gold file (default: cross-validation on shared train_docs.jsonl)")
    parser.add_argument("--model", default="models/stance_holder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = parser.parse_args(argv)

    model = HolderModel.load(args.model)
    gold_path = args.gold or shared_path("eval", "ai_stance", "train_docs.jsonl")
    if args.gold:
        records = build_records(gold_path)
        mode, results = "committed model applied as is", apply_model(records, model)
    else:
        learner, previous = model.config["learner"], model.config["previous_in_training"]
        mode = f"{args.folds}-fold document CV of {learner}+prev_{previous} (seed {model.config.get('seed', 0)})"
        records = training.training_records(gold_path, model.config.get("sentence_view", True))
        results = training.cross_validate(records, learner, previous, args.folds, model.config.get("seed", 0))
    report = {"mode": mode, "gold": str(gold_path), "records": len(records), "results": results,
              "ai_sentences_per_s": speed(records, model),
              "holder_mapping": "same_holder: simplified, half-width, no whitespace; equal or one ends the other"}
    print_table(report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
