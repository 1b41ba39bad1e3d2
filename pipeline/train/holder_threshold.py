"""Choose the holder model's ``min_confidence`` by document-grouped CV of who holds what.

``python -m pipeline.train.holder_threshold [--floors 0 0.3 0.4 0.5 0.6 0.7] [--write]``

The holder model names someone for every AI sentence where a name scores above "narrator";
a guess that is wrong puts a person on a side they did not take (the issue: precision matters).
A name chosen with a probability below the floor becomes "no holder". The floor is chosen on
the training corpus only: ``pipeline.evaluate.stance_docs`` runs the whole documents of
train_docs through segment → NER → stance with every model (stance, detector, holders)
retrained per fold without the fold's documents, and scores each floor. The chosen floor
maximises the harmonic mean of the per-document side recall and side precision;
``--write`` stores it (and the grid) in ``models/stance_holder/config.json``.
"""

from __future__ import annotations

import argparse
import json
import os

from pipeline.evaluate import stance_docs
from pipeline.paths import MODELS_DIR, shared_path

FLOORS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)


def balance(report: dict) -> float:
    recall = report["holder_side_recall"]["all"]["per_doc"] or 0.0
    precision = report["holder_side_precision"]["all"]["per_doc"] or 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def choose(floors: tuple[float, ...]) -> dict:
    gold = shared_path("eval", "ai_stance", "train_docs.jsonl")
    dev = shared_path("eval", "ai_stance", "dev.jsonl")
    result = stance_docs.evaluate(gold, dev, holder_floors=floors)
    shipped = str(result["variants"]["holder_min_confidence"])
    by_floor = {shipped: result["systems"]["learned"], **result["holder_floors"]}
    grid = {
        floor: {"holder_acc": r["holder_acc"], "side_recall": r["holder_side_recall"]["all"]["per_doc"],
                "side_precision": r["holder_side_precision"]["all"]["per_doc"], "balance": round(balance(r), 4)}
        for floor, r in sorted(by_floor.items(), key=lambda item: float(item[0]))
    }
    best = max(grid, key=lambda floor: grid[floor]["balance"])
    return {"chosen": float(best), "grid": grid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train.holder_threshold", description=__doc__.splitlines()[0])
    parser.add_argument("--floors", type=float, nargs="+", default=list(FLOORS))
    parser.add_argument("--write", action="store_true", help="store the chosen floor in models/stance_holder/config.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    outcome = choose(tuple(args.floors))
    for floor, row in outcome["grid"].items():
        print(f"min_confidence {float(floor):.2f}: named holder {row['holder_acc']:.3f}  side R {row['side_recall']:.3f}"
              f"  side P {row['side_precision']:.3f}  balance {row['balance']:.3f}")
    if args.write:
        path = MODELS_DIR / "stance_holder" / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        config["min_confidence"] = outcome["chosen"]
        config["min_confidence_cv"] = {"command": "python -m pipeline.train.holder_threshold --write", **outcome}
        path.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
