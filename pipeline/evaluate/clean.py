"""``python -m pipeline eval clean``: does cleaning keep the article and drop the page around it?

Gold: pages whose units carry a role (title, meta, furniture, body), by default
``train_docs.jsonl``. Each page's ``text`` goes through the real clean path as a ``.txt``
input (``read_units`` → ``clean_unit``); a unit counts as kept when at least half of its
non-space characters reach the cleaned text (followed through the records' offsets back to
the raw page, so repeated phrases elsewhere cannot fake a match). Reported: the share of
body units kept, of furniture units removed, of meta units removed, and of titled pages
whose ``meta.title`` equals the gold title (its title units joined; whitespace removed,
half-width on both sides).

On the default gold the role model is cross-validated: the pages of each fold are cleaned
with a model trained without them (same folds, seed and learner as
``pipeline.train.page_roles``; the committed floors; the headline chooser learnt
again per fold with the committed settings). With ``--gold`` elsewhere the
committed model is used as is. The rule cleaner without the role step runs as the peer.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pipeline.components.clean.charlm import LazyLM
from pipeline.components.clean.cleaner import clean_unit
from pipeline.components.clean import page_roles
from pipeline.record.text import to_halfwidth
from pipeline.paths import shared_path
from pipeline.components.clean.readers import read_units
from pipeline.train import page_roles as training

MEASURES = ("body_kept", "furniture_removed", "meta_removed", "titles_right")
BARS = {"body_kept": 0.98, "furniture_removed": 0.85, "meta_removed": 0.85, "titles_right": 0.85}  # issue 17


def _squash(text: str) -> str:
    return "".join(to_halfwidth(text).split())


def clean_page(page: dict, lm, folder: Path) -> list[dict]:
    path = folder / f"{page['doc']}.txt"
    path.write_text(page["text"], encoding="utf-8")
    units, _ = read_units(path, 64)
    return [record for unit in units for record in clean_unit(unit, lm)]


def kept_raw(records: list[dict]) -> set[int]:
    kept = set()
    for record in records:
        for _, raw_begin, length in record["offsets"]:
            kept.update(range(raw_begin, raw_begin + length))
    return kept


def score_page(page: dict, records: list[dict]) -> dict:
    """Per role: (units kept, units) and whether the title is right (None: no gold title)."""
    kept = kept_raw(records)
    counts = {role: [0, 0] for role in page_roles.ROLES}
    for unit in page["units"]:
        chars = [i for i in range(unit["begin"], unit["end"]) if not page["text"][i].isspace()]
        counts[unit["role"]][0] += sum(i in kept for i in chars) * 2 >= len(chars) > 0
        counts[unit["role"]][1] += 1
    gold_title = _squash("".join(u["text"] for u in page["units"] if u["role"] == "title"))
    title = records[0]["meta"].get("title", "") if records else ""
    return {"counts": counts, "title_right": (_squash(title) == gold_title) if gold_title else None}


def summarise(scores: list[dict]) -> dict:
    total = {role: [sum(s["counts"][role][k] for s in scores) for k in (0, 1)] for role in page_roles.ROLES}
    share = lambda kept, n: round(kept / max(1, n), 4)
    titled = [s["title_right"] for s in scores if s["title_right"] is not None]
    return {
        "body_kept": share(*total["body"]),
        "furniture_removed": share(total["furniture"][1] - total["furniture"][0], total["furniture"][1]),
        "meta_removed": share(total["meta"][1] - total["meta"][0], total["meta"][1]),
        "titles_right": share(sum(titled), len(titled)),
        "title_units_removed": share(total["title"][1] - total["title"][0], total["title"][1]),
        "units": {role: n for role, (_, n) in total.items()},
        "titled_pages": len(titled),
    }


def fold_models(pages: list[dict], folder: Path, floor: float, title_choice: dict | None = None,
                floor_long: float | None = None, seed: int = training.SEED) -> list[page_roles.PageRoleModel]:
    """One model per fold, trained without that fold's pages (as the training script does);
    with ``title_choice`` settings (the committed config's), each with its fold's headline
    chooser, learnt from that fold's training pages only. ``seed``: the fold shuffle."""
    variant = training.VARIANTS[training.DEFAULT_VARIANT]
    fold = training.folds_of(pages, seed)
    choosers = [None] * training.FOLDS
    if title_choice:
        choosers = training.fold_choosers(pages, variant, seed, title_choice["c"], title_choice["lexical"])
        for chooser in choosers:
            chooser.threshold, chooser.name_threshold = title_choice["threshold"], title_choice["name_threshold"]
    models = []
    for k in range(training.FOLDS):
        model_file = folder / f"fold{k}.crfsuite"
        lexicon = training.train_role_model([p for p, f in zip(pages, fold) if f != k], variant, str(model_file), seed)
        config = {"body_floor": floor, "body_floor_long": floor_long,
                  "features": {**page_roles.FEATURES, **variant.get("features", {})}}
        models.append(page_roles.PageRoleModel(model_file, config, choosers[k], lexicon))
    return models


def evaluate(gold: Path, cross_validated: bool, committed: page_roles.PageRoleModel,
             models: list[page_roles.PageRoleModel] | None = None, seed: int = training.SEED) -> tuple[dict, dict]:
    """``(results, seconds)`` for the role cleaner and the rules-only peer. ``models``: fold
    models already trained (the training script compares choosers on one set); ``seed``:
    the fold shuffle (the trainer's by default)."""
    pages = training.load_pages(gold)
    lm = LazyLM()
    results, seconds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if cross_validated:
            models = models or fold_models(pages, folder, committed.config["body_floor"],
                                           committed.config.get("title_choice_settings"),
                                           committed.config.get("body_floor_long"), seed)
            fold = training.folds_of(pages, seed)
            model_of = lambda i: models[fold[i]]
        else:
            model_of = lambda i: committed
        for name, choose in (("roles", model_of), ("rules only (peer)", lambda i: False)):
            started = time.perf_counter()
            scores = []
            for i, page in enumerate(pages):
                with page_roles.using_model(choose(i)):
                    scores.append(score_page(page, clean_page(page, lm, folder)))
            seconds[name] = round(time.perf_counter() - started, 2)
            results[name] = {**summarise(scores), "pages": len(pages)}
    return results, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline eval clean", description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", help="role-labelled pages (default: train_docs.jsonl, cross-validated)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fold-seed", type=int, default=training.SEED,
                        help=f"shuffle of the CV folds (default {training.SEED}, the trainer's)")
    args = parser.parse_args(argv)
    cross_validated = args.gold is None
    gold = Path(args.gold) if args.gold else shared_path(training.DEFAULT_GOLD)
    results, seconds = evaluate(gold, cross_validated, page_roles.load(), seed=args.fold_seed)
    pages = results["roles"]["pages"]
    print(f"clean on {gold.name}: {pages} pages" + (" (5-fold CV by page)" if cross_validated else " (committed model)"))
    print(f"{'cleaner':<20}" + "".join(f"{m:>19}" for m in MEASURES) + f"{'seconds':>9}")
    for name, result in results.items():
        print(f"{name:<20}" + "".join(f"{result[m]:>19.4f}" for m in MEASURES) + f"{seconds[name]:>9}")
    if args.json:
        print(json.dumps({"gold": str(gold), "cross_validated": cross_validated, "fold_seed": args.fold_seed, "pages": pages,
                          "ours": results["roles"], "peer_rules_only": results["rules only (peer)"],
                          "seconds": seconds, "bars": BARS}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
