"""Train the page-role model (``pipeline.components.clean.page_roles``).

    python -m pipeline.train.page_roles [--gold PATH] [--out models/page_roles] [--seed 13]

Gold: ``train_docs.jsonl`` (179 pages, every unit with a role). Units are cut from the
page text, so each unit is found in the text and its line takes its role; a line holding
units of several roles takes the role with most characters (3 of 1,756 lines). The few
non-blank lines no unit covers (lone separators) are furniture.

Every learner variant is scored by 5-fold cross-validation grouped by page (seeded
shuffle of the pages), per unit: a unit takes the role predicted for its line. Then two
floors (a line stays body while the CRF's marginal P(body) reaches its floor: ``body_floor``
for lines of at most one sentence, ``body_floor_long`` for longer ones) are chosen on the
out-of-fold marginals of the chosen variant under three fold shuffles pooled: the pair
removing most furniture whose mean body recall is at least ``BODY_RECALL_TARGET``, because
dropping body text is worse than keeping clutter (``nested_floor_estimate`` tells what that
choice keeps on folds it was not made on). The chosen variant is then trained on all
pages, and the headline chooser (``pipeline.train.page_titles``) on its out-of-fold
marginals; both are written with the card.

A variant with ``"lexicon"`` settings also learns the lexical line model
(``pipeline.components.clean.line_lexicon``) and is stacked: the CRF trains on the
lexicon's out-of-fold P(role) of its training pages (``stacked_lexical``, an inner CV), and
the lexicon learnt from all those pages is shipped beside it (``line_lexicon.json``).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import importlib
import itertools
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from pipeline.components.clean import line_lexicon
from pipeline.components.clean.line_lexicon import LineLexicon
from pipeline.train.folds import shuffled_folds
from pipeline.components.clean.page_roles import (FEATURES, ROLES, decide_line, line_floor, page_features,
                                                  tag_with_marginals)
from pipeline.paths import shared_path
from pipeline.train import page_titles

DEFAULT_GOLD = "eval/ai_stance/train_docs.jsonl"
VERSION = "zh.page_roles.crf.v2"  # v2: + the lexical line model, body target 0.985
FOLDS = 5
VITERBI = 0.5  # at this floor the decision is (almost) the chain's Viterbi labels
SEED = 13
# Above the 0.98 bar. 0.99 with the CRF alone (its nested estimate fell to 0.985 at 0.99 and
# to 0.980 at 0.985); with the lexical line model the floors hold on held-out folds (nested
# estimate 0.9865 at 0.985, see the card), so the target is 0.985.
BODY_RECALL_TARGET = 0.985
FLOORS = (0.9, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01)
LONG_FLOORS = (0.7, 0.6, 0.5, 0.4, 0.3, 0.2)  # for lines of two or more sentences
FLOOR_SEEDS = (13, 1, 2)  # fold shuffles pooled to choose the floors

# Learner variants compared by CV: name → (crfsuite params, feature transform).
VARIANTS = {
    "crf c1=0.1 c2=0.01": {"c1": 0.1, "c2": 0.01},
    "crf c1=0.05 c2=0.05": {"c1": 0.05, "c2": 0.05},
    "crf c1=0.0 c2=0.1 (L2 only)": {"c1": 0.0, "c2": 0.1},
    "crf c1=0.3 c2=0.01": {"c1": 0.3, "c2": 0.01},
    "crf c1=0.1 c2=0.01, no neighbour features": {"c1": 0.1, "c2": 0.01, "features": {"neighbour_offsets": []}},
    "crf c1=0.1 c2=0.01, neighbours ±1 len/end only": {
        "c1": 0.1, "c2": 0.01, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end="]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end only": {
        "c1": 0.05, "c2": 0.05, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end="]}},
    "crf c1=0.02 c2=0.1, neighbours ±1 len/end only": {
        "c1": 0.02, "c2": 0.1, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end="]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end/date/field": {
        "c1": 0.05, "c2": 0.05, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end=", "date", "field_label"]}},
    "crf c1=0.2 c2=0.01, neighbours ±1 len/end only": {
        "c1": 0.2, "c2": 0.01, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end="]}},
    "crf c1=0.1 c2=0.01, neighbours ±1 len/end/date/field": {
        "c1": 0.1, "c2": 0.01, "features": {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end=", "date", "field_label"]}},
    "crf c1=0.1 c2=0.01, neighbours ±1 ±2 len/end": {
        "c1": 0.1, "c2": 0.01, "features": {"neighbour_offsets": [-1, 1, -2, 2], "neighbour_kinds": ["len=", "end="]}},
    "crf c1=0.05 c2=0.05, no neighbour features": {"c1": 0.05, "c2": 0.05, "features": {"neighbour_offsets": []}},
    "crf c1=0.1 c2=0.01, no neighbours, char pairs up to 80 chars": {
        "c1": 0.1, "c2": 0.01, "features": {"neighbour_offsets": [], "pairs_up_to": 80}},
    "maxent per line (crf without transitions), c1=0.1 c2=0.01": {"c1": 0.1, "c2": 0.01, "per_line": True},
}
_NEIGHBOURS = {"neighbour_offsets": [-1, 1], "neighbour_kinds": ["len=", "end="]}
VARIANTS.update({
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end, + punctuation share": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["punctuation"]}},
    "crf c1=0.1 c2=0.05, neighbours ±1 len/end, + punctuation share": {
        "c1": 0.1, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["punctuation"]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end, + extends another line": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["extends_other"]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end, + recurrence count/first": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["recurrence"]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end, + longest head line": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["headline_shape"]}},
    "crf c1=0.05 c2=0.05, neighbours ±1 len/end, + punctuation, extends, recurrence": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["punctuation", "extends_other", "recurrence"]}},
})
# The lexical line model (``line_lexicon``, character 1-3-grams, stacked: the CRF learns from
# its out-of-fold P(role)): C, n-gram pruning, class weights, neighbours' P(role).
_PUNCTUATION = {"c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["punctuation"]}}
VARIANTS.update({
    "crf + punctuation, + lexical line model C=0.3": {**_PUNCTUATION, "lexicon": {"c": 0.3, "min_lines": 2}},
    "crf + punctuation, + lexical line model C=1": {**_PUNCTUATION, "lexicon": {"c": 1.0, "min_lines": 2}},
    "crf + punctuation, + lexical line model C=3": {**_PUNCTUATION, "lexicon": {"c": 3.0, "min_lines": 2}},
    "crf + punctuation, + lexical line model C=10": {**_PUNCTUATION, "lexicon": {"c": 10.0, "min_lines": 2}},
    "crf + punctuation, + lexical line model C=1, n-grams of 1+ lines": {
        **_PUNCTUATION, "lexicon": {"c": 1.0, "min_lines": 1}},
    "crf + punctuation, + lexical line model C=3, balanced classes": {
        **_PUNCTUATION, "lexicon": {"c": 3.0, "min_lines": 2, "class_weight": "balanced"}},
    "crf + punctuation, + lexical line model C=3, and its P(role) of lines ±1": {
        "c1": 0.05, "c2": 0.05, "features": {**_NEIGHBOURS, "extras": ["punctuation"], "lexical_neighbours": [-1, 1]},
        "lexicon": {"c": 3.0, "min_lines": 2}},
})
DEFAULT_VARIANT = "crf + punctuation, + lexical line model C=3"
# The headline chooser (``pipeline.train.page_titles``): L2 strengths and name thresholds tried.
TITLE_CHOICE_CS = (0.03, 0.1, 0.3)
TITLE_NAME_THRESHOLDS = (0.0, 0.05, 0.1, 0.2)
TITLE_REMOVE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
TITLE_CHOICE_LEXICAL = False  # the CRF's character features left out (CV: no better, 10x the weights)
TITLE_CHOICE_LINE_MODEL = True  # the chooser reads the lexical line model's P(role) too (as the CRF)


def load_pages(path: Path) -> list[dict]:
    """Pages with their lines, one gold role per line and the units' (line, role, chars)."""
    pages = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        doc = json.loads(raw)
        pages.append(label_page(doc))
    return pages


def label_page(doc: dict) -> dict:
    text = doc["text"]
    lines = text.split("\n")
    starts, position = [], 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    chars: dict[int, Counter] = {}
    units = []
    cursor = 0
    for unit in doc["sentences"]:
        found = text.find(unit["text"], cursor)
        if found < 0:  # not verbatim in the page (markup inside): place it at its first 20 characters
            found = text.find(unit["text"][:20], cursor)
        if found < 0:
            continue
        end = found + len(unit["text"])
        cursor = end
        line = bisect.bisect_right(starts, found) - 1
        chars.setdefault(line, Counter())[unit["role"]] += len(unit["text"])
        units.append({"line": line, "role": unit["role"], "text": unit["text"], "begin": found, "end": end})
    roles = []
    for number, line in enumerate(lines):
        if not line.strip():
            roles.append("blank")
        elif number in chars:
            roles.append(chars[number].most_common(1)[0][0])
        else:
            roles.append("furniture")
    return {"doc": doc["doc"], "text": text, "lines": lines, "roles": roles, "units": units}


def folds_of(pages: list[dict], seed: int, folds: int = FOLDS) -> list[int]:
    """Fold number of each page: a seeded shuffle dealt round-robin."""
    return shuffled_folds(len(pages), seed, folds)


def _features(page: dict, variant: dict, lexical: list[dict] | None = None) -> list[dict]:
    return page_features(page["lines"], variant.get("features"), lexical)


# ---------------------------------------------------------------- the lexical line model, stacked

_LEXICAL_CACHE: dict = {}  # (training pages, settings) -> {page: P(role) per line}: nested CV refits the same sets


def _nonblank(page: dict) -> list[str]:
    return [line for line, role in zip(page["lines"], page["roles"]) if role != "blank"]


def fit_lexicon(pages: list[dict], settings: dict) -> LineLexicon:
    """The lexical line model (``line_lexicon``) learnt from the non-blank lines of ``pages``."""
    texts = [line for page in pages for line in _nonblank(page)]
    return line_lexicon.fit(texts, [label for page in pages for label in _labels(page)], c=settings["c"],
                            min_lines=settings.get("min_lines", 2),
                            class_weight=settings.get("class_weight"))


def lexical_of(lexicon: LineLexicon, page: dict) -> list[dict]:
    return [lexicon.probabilities(line) for line in _nonblank(page)]


def lexical_for(train_pages: list[dict], targets: list[dict], settings: dict) -> list[list[dict]]:
    """P(role) per line of each of ``targets`` by a lexicon learnt from ``train_pages`` (memoised)."""
    key = (tuple(map(_page_key, train_pages)), json.dumps(settings, sort_keys=True))
    known = _LEXICAL_CACHE.setdefault(key, {})
    missing = [page for page in targets if _page_key(page) not in known]
    if missing:
        lexicon = fit_lexicon(train_pages, settings)
        known.update({_page_key(page): lexical_of(lexicon, page) for page in missing})
    return [known[_page_key(page)] for page in targets]


def _page_key(page: dict) -> str:
    """A page's id (its lines where it has none: pages made up by tests)."""
    return page.get("doc") or "\n".join(page["lines"])


def stacked_lexical(pages: list[dict], settings: dict, seed: int) -> list[list[dict]]:
    """For each of ``pages``, the P(role) of its lines by a lexicon learnt without its fold (an
    inner CV): what the CRF learns from, so it sees the lexicon as on pages it never saw."""
    fold = folds_of(pages, seed)
    out: list = [None] * len(pages)
    for k in range(FOLDS):
        held = [i for i in range(len(pages)) if fold[i] == k]
        probabilities = lexical_for([p for p, f in zip(pages, fold) if f != k], [pages[i] for i in held], settings)
        for i, lexical in zip(held, probabilities):
            out[i] = lexical
    return out


def train_role_model(pages: list[dict], variant: dict, model_file: str, seed: int,
                     with_lexicon: bool = True) -> LineLexicon | None:
    """Train the CRF of ``variant`` on ``pages`` into ``model_file``; with a lexical line model
    (``variant["lexicon"]``), that model too (returned unless ``with_lexicon`` is false):
    learnt from all ``pages``, while the CRF learns from its out-of-fold probabilities."""
    settings = variant.get("lexicon")
    if not settings:
        train_crf(pages, variant, model_file, seed)
        return None
    train_crf(pages, variant, model_file, seed, stacked_lexical(pages, settings, seed))
    return fit_lexicon(pages, settings) if with_lexicon else None


def _labels(page: dict) -> list[str]:
    return [role for role in page["roles"] if role != "blank"]


def train_crf(pages: list[dict], variant: dict, model_file: str, seed: int,
              lexical: list[list[dict]] | None = None) -> None:
    """``lexical``: per page, the lexical model's P(role) of each line (out of fold)."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for number, page in enumerate(pages):
        features, labels = _features(page, variant, lexical[number] if lexical else None), _labels(page)
        if variant.get("per_line"):  # every line its own sequence: no transitions learnt
            for f, label in zip(features, labels):
                trainer.append([f], [label])
        else:
            trainer.append(features, labels)
    trainer.set_params({"c1": variant["c1"], "c2": variant["c2"], "max_iterations": 200,
                        "feature.possible_transitions": True})
    random.seed(seed)
    trainer.train(model_file)


def marginals_of(tagger, page: dict, variant: dict, lexical: list[dict] | None = None
                 ) -> list[tuple[str, dict[str, float]]]:
    """Viterbi label and role marginals of each non-blank line (``lexical``: the lexical
    model's P(role) of each, for a variant with one)."""
    features = _features(page, variant, lexical)
    if not features:
        return []
    if variant.get("per_line"):
        return [tag_with_marginals(tagger, [f])[0] for f in features]
    return tag_with_marginals(tagger, features)


def cross_validate(pages: list[dict], variant: dict, seed: int) -> list[list[tuple[str, float]]]:
    """Out-of-fold (Viterbi label, role marginals) per non-blank line of every page."""
    import pycrfsuite

    fold = folds_of(pages, seed)
    out: list = [None] * len(pages)
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(FOLDS):
            model_file = f"{tmp}/fold{k}.crfsuite"
            train_pages = [p for p, f in zip(pages, fold) if f != k]
            train_role_model(train_pages, variant, model_file, seed, with_lexicon=False)
            held = [i for i in range(len(pages)) if fold[i] == k]
            lexical = (lexical_for(train_pages, [pages[i] for i in held], variant["lexicon"])
                       if variant.get("lexicon") else [None] * len(held))
            tagger = pycrfsuite.Tagger()
            tagger.open(model_file)
            for i, probabilities in zip(held, lexical):
                out[i] = marginals_of(tagger, pages[i], variant, probabilities)
            tagger.close()
    return out


def line_roles(page: dict, predictions: list[tuple[str, float]], floor: float,
               floor_long: float | None = None) -> list[str]:
    """Per raw line: the decided role ("blank" for blank lines)."""
    roles, it = [], iter(predictions)
    for line, role in zip(page["lines"], page["roles"]):
        if role == "blank":
            roles.append("blank")
        else:
            label, marginals = next(it)
            roles.append(decide_line(label, marginals, line_floor(line, floor, floor_long)))
    return roles


def unit_scores(pages: list[dict], predictions: list, floor: float, floor_long: float | None = None) -> dict:
    """Per-role precision/recall/F1 over units, and the shares the issue's bars name."""
    pairs = []
    for page, prediction in zip(pages, predictions):
        decided = line_roles(page, prediction, floor, floor_long)
        pairs.extend((unit["role"], decided[unit["line"]]) for unit in page["units"])
    scores = {}
    for role in ROLES:
        tp = sum(g == role and p == role for g, p in pairs)
        gold = sum(g == role for g, _ in pairs)
        pred = sum(p == role for _, p in pairs)
        precision, recall = tp / max(1, pred), tp / max(1, gold)
        scores[role] = {"p": round(precision, 4), "r": round(recall, 4),
                        "f1": round(2 * precision * recall / max(1e-9, precision + recall), 4), "n": gold}
    def share(gold_role, removed):
        units = [(g, p) for g, p in pairs if g == gold_role]
        return round(sum((p != "body") == removed for _, p in units) / max(1, len(units)), 4)
    scores["body_kept"] = share("body", False)
    scores["furniture_removed"] = share("furniture", True)
    scores["meta_removed"] = share("meta", True)
    scores["title_removed"] = share("title", True)
    scores["accuracy"] = round(sum(g == p for g, p in pairs) / max(1, len(pairs)), 4)
    return scores


def choose_floor(pages: list[dict], predictions: list) -> tuple[float, list[dict]]:
    """The highest floor (most clutter removed) whose CV body recall meets the target."""
    table = [{"body_floor": floor, **unit_scores(pages, predictions, floor)} for floor in FLOORS]
    meeting = [row for row in table if row["body_kept"] >= BODY_RECALL_TARGET]
    chosen = max(meeting, key=lambda row: row["body_floor"])["body_floor"] if meeting else min(FLOORS)
    return chosen, table


def choose_floors(pages: list[dict], variant: dict) -> tuple[dict, list[dict]]:
    """``body_floor`` (lines of at most one sentence) and ``body_floor_long`` (longer lines),
    chosen on the out-of-fold marginals of ``FLOOR_SEEDS`` fold shuffles pooled: the pair
    removing most furniture whose mean body recall meets ``BODY_RECALL_TARGET`` (one shuffle
    alone swings body recall by ±0.005 at a fixed floor; see the card)."""
    runs = [cross_validate(pages, variant, seed) for seed in FLOOR_SEEDS]
    return _best_floors(pages, runs)


def _best_floors(pages: list[dict], runs: list) -> tuple[dict, list[dict]]:
    table = []
    for floor, floor_long in itertools.product(FLOORS, LONG_FLOORS):
        scores = [unit_scores(pages, predictions, floor, floor_long) for predictions in runs]
        mean = {m: round(sum(s[m] for s in scores) / len(scores), 4)
                for m in ("body_kept", "furniture_removed", "meta_removed", "title_removed")}
        table.append({"body_floor": floor, "body_floor_long": floor_long, **mean})
    meeting = [row for row in table if row["body_kept"] >= BODY_RECALL_TARGET] or [max(table, key=lambda r: r["body_kept"])]
    best = max(meeting, key=lambda r: (r["furniture_removed"], r["body_kept"], r["body_floor_long"]))
    return {"body_floor": best["body_floor"], "body_floor_long": best["body_floor_long"]}, table


def nested_floor_estimate(pages: list[dict], runs: list) -> dict:
    """What choosing the floors costs on pages they were not chosen on: under each fold
    shuffle of ``FLOOR_SEEDS`` (``runs``: its out-of-fold predictions), the floors are chosen
    (as ``choose_floors``) on four folds and applied to the fifth; shares over all units."""
    totals = Counter()
    for seed, predictions in zip(FLOOR_SEEDS, runs):
        fold = folds_of(pages, seed)
        for k in range(FOLDS):
            chosen, _ = _best_floors([p for p, f in zip(pages, fold) if f != k],
                                     [[q for q, f in zip(predictions, fold) if f != k]])
            for page, prediction, f in zip(pages, predictions, fold):
                if f != k:
                    continue
                decided = line_roles(page, prediction, chosen["body_floor"], chosen["body_floor_long"])
                for unit in page["units"]:
                    totals[unit["role"], decided[unit["line"]] != "body"] += 1
    share = lambda role, removed: round(totals[role, removed] / max(1, totals[role, True] + totals[role, False]), 4)
    return {"body_kept": share("body", False), "furniture_removed": share("furniture", True),
            "meta_removed": share("meta", True), "title_removed": share("title", True)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(args: argparse.Namespace) -> dict:
    import pycrfsuite

    started = time.time()
    gold = Path(args.gold)
    pages = load_pages(gold)
    variants = []
    chosen_predictions = None
    for name, variant in VARIANTS.items():
        if args.quick and name != DEFAULT_VARIANT:
            continue
        t0 = time.time()
        predictions = cross_validate(pages, variant, args.seed)
        floor, table = choose_floor(pages, predictions)
        row = {"variant": name, "viterbi": unit_scores(pages, predictions, VITERBI),
               "chosen_floor": floor, "at_floor": next(r for r in table if r["body_floor"] == floor),
               "cv_seconds": round(time.time() - t0, 1)}
        if name == DEFAULT_VARIANT:
            row["floors"] = table
            chosen_predictions = predictions
        variants.append(row)
        print(f"{name}: viterbi acc {row['viterbi']['accuracy']}, floor {floor}: "
              f"body kept {row['at_floor']['body_kept']} furniture removed {row['at_floor']['furniture_removed']} "
              f"meta removed {row['at_floor']['meta_removed']} title F1 {row['at_floor']['title']['f1']}", flush=True)
    chosen = next(v for v in variants if v["variant"] == DEFAULT_VARIANT)
    floor_runs = [cross_validate(pages, VARIANTS[DEFAULT_VARIANT], seed) for seed in FLOOR_SEEDS]
    floors, floor_pairs = _best_floors(pages, floor_runs)
    print(f"floors (pooled over fold seeds {FLOOR_SEEDS}): {floors}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nested = nested_floor_estimate(pages, floor_runs)
    print(f"floors chosen on 4 folds, scored on the 5th: {nested}", flush=True)
    lexicon = train_role_model(pages, VARIANTS[DEFAULT_VARIANT], str(out / "model.crfsuite"), args.seed)
    if lexicon is not None:
        lexicon.save(out / "line_lexicon.json")
    info = pycrfsuite.Tagger()
    info.open(str(out / "model.crfsuite"))
    config = {
        "name": "page_roles", "version": VERSION, "model_file": "model.crfsuite", "learner": DEFAULT_VARIANT,
        "crfsuite_params": {k: v for k, v in VARIANTS[DEFAULT_VARIANT].items() if k in ("c1", "c2")},
        "features": {**FEATURES, **VARIANTS[DEFAULT_VARIANT].get("features", {})},
        **floors, "labels": sorted(info.labels()), "seed": args.seed,
        "folds": FOLDS, "body_recall_target": BODY_RECALL_TARGET, "floor_seeds": list(FLOOR_SEEDS),
        "data": {"file": str(gold.name), "sha256": sha256(gold), "pages": len(pages),
                 "units": sum(len(p["units"]) for p in pages),
                 "lines": sum(r != "blank" for p in pages for r in p["roles"])},
        "cv": unit_scores(pages, chosen_predictions, floors["body_floor"], floors["body_floor_long"]),
        "floor_pairs": floor_pairs, "nested_floor_estimate": nested, "variants": variants,
        **({"lexicon": "line_lexicon.json", "lexicon_settings": VARIANTS[DEFAULT_VARIANT]["lexicon"]} if lexicon else {}),
        "command": "python -m pipeline.train.page_roles" + (" --quick" if args.quick else ""),
        "wall_seconds": round(time.time() - started, 1),
    }
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # The same figures through the real clean path (``python -m pipeline eval clean``).
    from pipeline.components.clean import page_roles as component

    # The evaluator reuses this module's folds; reached by name so the modules stay acyclic.
    evaluation = importlib.import_module("pipeline.evaluate.clean")

    committed = component.PageRoleModel(out / "model.crfsuite", config, lexicon=lexicon)
    without_chooser, _ = evaluation.evaluate(gold, True, committed)
    settings, trials = choose_title_settings(pages, chosen_predictions, gold, committed, args.seed, evaluation)
    line_model = _chooser_lexical(pages, VARIANTS[DEFAULT_VARIANT], args.seed)
    chooser = page_titles.fit([row for page, prediction, lex in zip(pages, chosen_predictions, line_model)
                               for row in page_titles.examples(page, _features(page, VARIANTS[DEFAULT_VARIANT], lex),
                                                               prediction, settings["lexical"])],
                              settings["c"], settings["threshold"], settings["lexical"])
    chooser.name_threshold = settings["name_threshold"]
    (out / "title_choice.json").write_text(json.dumps(chooser.to_json(), ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    config.update({"title_choice": "title_choice.json", "title_choice_settings": settings,
                   "title_choice_cv": trials})
    committed.title_chooser = chooser
    results, _ = evaluation.evaluate(gold, True, committed)
    config["clean_path_cv"] = {"roles + headline chooser": results["roles"], "roles only": without_chooser["roles"],
                               "rules only (peer)": results["rules only (peer)"]}
    config["wall_seconds"] = round(time.time() - started, 1)
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(config), encoding="utf-8")
    return config


def _chooser_lexical(pages: list[dict], variant: dict, seed: int) -> list:
    """The lexical line model's out-of-fold P(role) per line of ``pages`` (as the CRF's were),
    for the headline chooser's examples; ``None`` per page without one."""
    if variant.get("lexicon") and TITLE_CHOICE_LINE_MODEL:
        return stacked_lexical(pages, variant["lexicon"], seed)
    return [None] * len(pages)


def fold_choosers(pages: list[dict], variant: dict, seed: int, c: float, lexical: bool) -> list:
    """One headline chooser per outer fold (``folds_of``), each learnt from inner
    out-of-fold CRF marginals of that fold's training pages only."""
    fold = folds_of(pages, seed)
    choosers = []
    for k in range(FOLDS):
        members = [i for i in range(len(pages)) if fold[i] != k]
        inner = cross_validate([pages[i] for i in members], variant, seed)
        line_model = _chooser_lexical([pages[i] for i in members], variant, seed)
        rows = [row for i, prediction, lex in zip(members, inner, line_model)
                for row in page_titles.examples(pages[i], _features(pages[i], variant, lex), prediction, lexical)]
        choosers.append(page_titles.fit(rows, c, lexical=lexical))
    return choosers


def cross_validate_choosers(pages: list[dict], outer: list, variant: dict, seed: int, c: float,
                            lexical: bool) -> tuple[list, list[dict]]:
    """Fold choosers and their out-of-fold outcomes on the held-out pages (``outer``: the
    CRF's out-of-fold predictions of every page, same folds)."""
    fold = folds_of(pages, seed)
    choosers = fold_choosers(pages, variant, seed, c, lexical)
    line_model = _chooser_lexical(pages, variant, seed)
    outcomes = [page_titles.page_outcome(page, _features(page, variant, line_model[i]), outer[i], choosers[fold[i]])
                for i, page in enumerate(pages)]
    return choosers, outcomes


def choose_title_settings(pages: list[dict], predictions: list, gold: Path, committed, seed: int,
                          evaluation) -> tuple[dict, list[dict]]:
    """The headline chooser's C and thresholds (to name the page, to take the headline out
    of the text), chosen through the clean path on the CRF's folds (every fold's chooser
    learnt from its training pages only, by an inner CV). Most titles right wins; ties go
    to more body kept, more furniture removed, then the higher thresholds."""
    variant = VARIANTS[DEFAULT_VARIANT]
    trials, best = [], None
    with tempfile.TemporaryDirectory() as tmp:
        models = evaluation.fold_models(pages, Path(tmp), committed.config["body_floor"],
                                        floor_long=committed.config.get("body_floor_long"))
        for c in TITLE_CHOICE_CS:
            choosers, outcomes = cross_validate_choosers(pages, predictions, variant, seed, c,
                                                                     TITLE_CHOICE_LEXICAL)
            table = page_titles.threshold_table(outcomes)
            for threshold, name_threshold in itertools.product(TITLE_REMOVE_THRESHOLDS, TITLE_NAME_THRESHOLDS):
                for model, chooser in zip(models, choosers):
                    chooser.threshold, chooser.name_threshold = threshold, name_threshold
                    model.title_chooser = chooser
                results, _ = evaluation.evaluate(gold, True, committed, models=models)
                row = {"c": c, "lexical": TITLE_CHOICE_LEXICAL, "threshold": threshold,
                       "name_threshold": name_threshold, **{m: results["roles"][m] for m in evaluation.MEASURES}}
                trials.append(row)
                print(f"headline chooser C={c} remove>={threshold} name>={name_threshold}: "
                      + " ".join(f"{m} {row[m]}" for m in evaluation.MEASURES), flush=True)
                key = (row["titles_right"], row["body_kept"], row["furniture_removed"], threshold, name_threshold)
                if best is None or key > best[0]:
                    best = (key, row)
            trials[-1]["line_table"] = table
    settings = {k: best[1][k] for k in ("c", "lexical", "threshold", "name_threshold")}
    return settings, trials


# Run by hand while building this version (harness outside the repository: the same folds
# and clean path as ``eval clean``, means over fold seeds 13, 1 and 2). Kept here so the
# card lists every variant tried.
EXPERIMENT_NOTES = [
    "- This model (v2) through the clean path, `eval clean --fold-seed` 13 / 1 / 2: body kept 0.9867 / 0.9871 /",
    "  0.9875, furniture removed 0.8861 / 0.8564 / 0.8762, meta removed 0.9341 / 0.956 / 0.9231, titles right",
    "  0.8507 / 0.8657 / 0.8507; means 0.9871 / 0.8729 / 0.9377 / 0.8557 (v1: 0.9912 / 0.817 / 0.912 / 0.856).",
    "- Lexical line model (v2; role level, floors chosen on fold shuffles 13, 1, 2 pooled; furniture removed",
    "  at the best floor pair with mean body kept >= 0.99 / >= 0.985): CRF alone 0.794 / 0.830; + lexicon C=0.3",
    "  0.795 / 0.855, C=1 0.794 / 0.856, C=3 0.802 / 0.855 (kept), C=10 0.790 / 0.838, C=1 with n-grams of",
    "  one line 0.809 / 0.848, C=3 balanced classes 0.733 / 0.860, C=1 balanced 0.776 / 0.847, C=3 with the",
    "  P(role) of lines ±1 0.777 / 0.845, C=1 with it 0.764 / 0.840, C=3 with n-grams of one line 0.802 / 0.855",
    "  (nested 0.9858 / 0.850 at 0.985; twice the weights), C=5 0.795 / 0.848. Line-level AUC of body vs the rest, out",
    "  of fold (seed 13): lexicon alone 0.948 (C=3), CRF alone 0.989.",
    "- The body target: with the CRF alone the floors chosen on 4 folds and applied to the 5th (nested)",
    "  kept 0.9846 of body at target 0.99 and 0.9805 at 0.985 (furniture 0.787 / 0.825): its body recall",
    "  does not hold out of the folds it was chosen on. With the lexicon (C=3) the nested figures are",
    "  0.9893 / 0.782 at 0.99 and 0.9865 / 0.845 at 0.985, at the pooled figures' level, so the target is",
    "  0.985 (the bar is 0.98).",
    "- multilingual-e5-small line embeddings (`SentenceEmbedder`, 34 lines/s on one core) with a logistic",
    "  regression, stacked the same way: line AUC alone 0.960 (C=10); in the CRF, C=3 / 10 / 30: 0.782 /",
    "  0.795 / 0.802 at 0.99 and 0.847 / 0.858 / 0.865 at 0.985, but its floors do not hold out of fold",
    "  (C=10 nested: body 0.9823 at 0.99, 0.9789 at 0.985); with the lexicon too (C=10 + C=3) 0.756 / 0.845.",
    "  Not kept: no better than the lexicon, less stable, and an encoder in the clean stage.",
    "- A third floor for short lines (<= 6, 10 or 15 characters, chosen with the other two): CRF alone",
    "  nested 0.9836 / 0.792 at 0.99; with the lexicon 0.9891 / 0.804 at 0.99 and 0.985 / 0.848 at 0.985:",
    "  within the noise of two floors, not kept.",
    "- v1 (the CRF alone, target 0.99) below.",
    "- This model's settings under fold seeds 13, 1, 2 (mean, clean path): body kept 0.9912, furniture",
    "  removed 0.817, meta removed 0.912, titles right 0.856 (CRF alone: 0.9912 / 0.804 / 0.912 / 0.796;",
    "  the previous model, one floor 0.6 and no chooser: 0.9917 / 0.810 / 0.927 / 0.801).",
    "- One fold shuffle is a noisy judge: at the same floor (0.6) body kept is 0.990 / 0.990 / 0.983 and",
    "  furniture removed 0.827 / 0.762 / 0.812 (per unit, role level) under fold seeds 13 / 1 / 2; so",
    "  variants were compared on the mean of the three, and the floors are chosen on the three pooled.",
    "- CRF line features, clean path, floor 0.6 / 0.7 / 0.8 (body kept, furniture removed):",
    "  base 0.9917/0.810, 0.9892/0.828, 0.9855/0.840; + punctuation share 0.9916/0.815, 0.9891/0.833,",
    "  0.9864/0.852 (kept); + a line extending another line (headline + 图1) 0.9919/0.807, 0.9895/0.825,",
    "  0.9856/0.842; + recurrence count / first copy 0.9915/0.800, 0.9891/0.827, 0.9851/0.833; + longest",
    "  head line 0.9912/0.802, 0.9889/0.828, 0.9854/0.843; + punctuation, extends, recurrence 0.9913/0.804,",
    "  0.9895/0.823, 0.9858/0.850; + punctuation and longest head line 0.9907/0.812, 0.9891/0.833, 0.9857/0.848.",
    "- CRF regularisation with the punctuation share (same floors): c1=0.05 c2=0.1 0.9912/0.814,",
    "  0.9897/0.838, 0.9863/0.852; c1=0.1 c2=0.05 0.9900/0.817, 0.9882/0.837, 0.9853/0.855; c1=0.02",
    "  c2=0.05 0.9923/0.800, 0.9904/0.828, 0.9876/0.848; c1=0.05 c2=0.02 0.9909/0.810, 0.9888/0.823,",
    "  0.9866/0.843. None moves the body/furniture trade-off beyond the noise.",
    "- Two floors (one-sentence lines vs longer ones), role level, pooled seeds: at one floor 0.7 body",
    "  0.981 / furniture 0.822; floors 0.8 / 0.3 give 0.986 / 0.83, better on both (kept; table below).",
    "  The body target stays 0.99 (held-out pages are harder than CV); a target of 0.985 would take",
    "  0.8 / 0.3, the furniture bar's side of the trade-off.",
    "- Copies of the chosen headline elsewhere on the page (page title over article title, captions",
    "  of headline + 图1 or (3)) made furniture: furniture removed 0.809 -> 0.823, body and titles",
    "  unchanged (chooser C=0.1, remove 0.4, name 0.05; floors 0.6 / 0.3) (kept).",
    "- Considered, not built: lines above the headline as never body (in the training gold 16 body",
    "  units lie above a title line, e.g. pages whose headline is printed after the article).",
    "- The punctuation share first counted markdown marks (**, >, list marks) and quotation marks:",
    "  it then dropped the body of markdown exports and a line of quoted speech as furniture (the",
    "  WeChat rule tests caught it); neither is counted now.",
    "- Headline chooser (titles right, clean path, mean of 3 seeds; CRF alone 0.801): binary logistic",
    "  over candidates with the CRF's character features 0.826-0.831, without them 0.826-0.831 (kept:",
    "  10x fewer weights); + holds/held-by another candidate, length rank, article overlap, and a two-line",
    "  headline (adjacent candidates as sure) 0.846-0.861 by C (0.03, 0.1, 0.3) and thresholds;",
    "  choosing on 2-3 line pages too (they were left to the rules) fixes a headline glued to its",
    "  first sentence there.",
]


def model_card(config: dict) -> str:
    data, cv = config["data"], config["cv"]
    lines = [
        "# page_roles: a role for every line of a page",
        "",
        "Labels each non-blank line of an input page title, meta (byline, dateline, source),",
        "furniture (navigation, share buttons, notices, related links, captions, counters, spam)",
        "or body; cleaning keeps body, moves title/meta to `meta`, drops the rest (logged).",
        "",
        f"- Learner: {config['learner']} (python-crfsuite, L-BFGS, 200 iterations), then a learnt headline",
        "  chooser (below). Features in",
        "  `pipeline/components/clean/page_roles.py` (generic: length, punctuation, script shares,",
        "  position, date/time shapes, separators, start/end characters, character pairs of short",
        "  lines, neighbour lines). No word lists.",
        *([f"- Lexical line model (`{config['lexicon']}`, `pipeline/components/clean/line_lexicon.py`): multinomial",
           "  logistic regression over the character 1-3-grams of a line (simplified, half-width, digits as 0,",
           f"  ^/$ at its ends; n-grams of >= {config['lexicon_settings'].get('min_lines', 2)} training lines; "
           f"L2 C = {config['lexicon_settings']['c']}); its P(role) of each line",
           "  is a CRF feature (value and bucket). Stacked: the CRF learns from out-of-fold P(role) of an inner",
           "  5-fold CV over its training pages, so it weighs the lexicon as on unseen lines; in every outer",
           "  fold both models are learnt from that fold's training pages only."] if config.get("lexicon") else []),
        f"- Data: `{data['file']}` (sha256 `{data['sha256']}`), {data['pages']} pages, {data['lines']} non-blank",
        f"  lines, {data['units']} units. A line takes the role of its units (most characters when mixed).",
        f"- Command: `{config['command']}`; seed {config['seed']}; wall time {config['wall_seconds']} s (2 shared CPU cores).",
        f"- Decision: a line stays body while P(body) >= {config['body_floor']}, or >= {config.get('body_floor_long')} for a",
        "  line of two or more sentences (a wrong drop there loses several body units). Both chosen",
        f"  by CV on the out-of-fold marginals of fold shuffles {config.get('floor_seeds')} pooled: the pair removing",
        f"  most furniture with mean body recall >= {config['body_recall_target']}.",
        *([f"- Nested estimate of that choice (floors chosen on 4 folds' out-of-fold marginals, applied to the 5th,",
           f"  all three shuffles): body kept {config['nested_floor_estimate']['body_kept']}, furniture removed "
           f"{config['nested_floor_estimate']['furniture_removed']}, meta removed {config['nested_floor_estimate']['meta_removed']}, "
           f"title removed {config['nested_floor_estimate']['title_removed']}."] if config.get("nested_floor_estimate") else []),
        "",
        f"## {config['folds']}-fold CV grouped by page, per unit, at the chosen floor",
        "",
        "| role | P | R | F1 | units |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {role} | {cv[role]['p']} | {cv[role]['r']} | {cv[role]['f1']} | {cv[role]['n']} |" for role in ROLES]
    lines += [
        "",
        f"Body kept {cv['body_kept']}, furniture removed {cv['furniture_removed']}, meta removed "
        f"{cv['meta_removed']}, title lines removed {cv['title_removed']}.",
        "",
        "## Through the clean path (`python -m pipeline eval clean`, same folds, rules after the roles)",
        "",
        "| cleaner | body kept | furniture removed | meta removed | titles right |",
        "|---|---|---|---|---|",
        *(f"| {name} | {r['body_kept']} | {r['furniture_removed']} | {r['meta_removed']} | {r['titles_right']} |"
          for name, r in config["clean_path_cv"].items()),
        "",
        "Bars (issue 17): body kept >= 0.98, furniture removed >= 0.85, meta removed >= 0.85, titles right >= 0.85.",
        "",
        "## Every variant tried (same folds)",
        "",
        "| variant | Viterbi acc | Viterbi body kept | floor | body kept | furniture removed | meta removed | title F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in config["variants"]:
        a = v["at_floor"]
        lines.append(f"| {v['variant']} | {v['viterbi']['accuracy']} | {v['viterbi']['body_kept']} | {v['chosen_floor']} | "
                     f"{a['body_kept']} | {a['furniture_removed']} | {a['meta_removed']} | {a['title']['f1']} |")
    settings = config.get("title_choice_settings")
    if settings:
        lines += ["", "## Headline chooser (`title_choice.json`, `pipeline.train.page_titles`)", "",
                  "A second pass over the candidate lines of a page (those above the article's first paragraph,",
                  "and that line): logistic scores from the CRF's non-character features of the line, its",
                  "marginals, its rank among the candidates (P(title), P(body), length), its overlap with the",
                  "article's words and whether it holds / is held by another candidate. The best candidate",
                  f"names the page when its score reaches {settings['name_threshold']}, and leaves the text (with the adjacent",
                  f"candidates scoring as high) when it reaches {settings['threshold']}; below that the line keeps its CRF role.",
                  f"L2 C = {settings['c']}. Learnt from out-of-fold CRF marginals; in CV each fold's chooser comes",
                  "from an inner CV of its training pages. C and both thresholds chosen through the clean path",
                  "(most titles right, then body kept, furniture removed, higher thresholds): a small optimism.",
                  "", "| C | remove at | name at | body kept | furniture removed | meta removed | titles right |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {t['c']} | {t['threshold']} | {t['name_threshold']} | {t['body_kept']} | {t['furniture_removed']} | "
                  f"{t['meta_removed']} | {t['titles_right']} |" for t in config["title_choice_cv"]]
    lines += ["", "## Experiments outside this script (fold seeds 13, 1, 2; means through the clean path)", "",
              *EXPERIMENT_NOTES]
    pairs = sorted(config["floor_pairs"], key=lambda r: (-r["furniture_removed"], -r["body_kept"]))
    chosen_pair = next(r for r in pairs if (r["body_floor"], r["body_floor_long"]) ==
                       (config["body_floor"], config["body_floor_long"]))
    shown = [chosen_pair] + [r for r in pairs if r["body_kept"] >= 0.98 and r is not chosen_pair][:15]
    lines += ["", f"## Floor pairs (chosen variant; role level, means over fold shuffles {config.get('floor_seeds')}; the"
              " chosen pair first, then the 15 removing most furniture with body kept >= 0.98)", "",
              "| floor | floor, 2+ sentences | body kept | furniture removed | meta removed | title removed |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['body_floor']} | {r['body_floor_long']} | {r['body_kept']} | {r['furniture_removed']} | "
              f"{r['meta_removed']} | {r['title_removed']} |" for r in shown]
    floors = next(v for v in config["variants"] if v["variant"] == config["learner"])["floors"]
    lines += ["", f"## One floor for all lines (chosen variant, out-of-fold, fold seed {config['seed']})", "",
              "| floor | body kept | furniture removed | meta removed | title removed |", "|---|---|---|---|---|"]
    lines += [f"| {r['body_floor']} | {r['body_kept']} | {r['furniture_removed']} | {r['meta_removed']} | {r['title_removed']} |"
              for r in floors]
    lines += ["", "## Notes", "",
              "- Mixed lines (units of several roles on one line) take the role with most characters: 3 of the",
              "  lines. A headline glued to body text on one line cannot be split by a line model (seen on 3 pages).",
              "- Tried and dropped by CV: folding full-width punctuation by NFKC in the features (furniture",
              "  removed 0.812 against 0.827); neighbour features beyond ±1 or of more kinds (table above);",
              "  a headline-candidate rank (lines above the article of headline length without a sentence",
              "  end): title F1 0.80 -> 0.81 but through the clean path furniture 0.832 -> 0.822 and titles",
              "  right unchanged (0.791).",
              "- In cleaning: on pages of 2-3 non-blank lines only the headline chooser acts, and only to",
              "  name the page (no line leaves the text there); on WeChat exports and",
              "  newspaper pages with bylines the model only drops furniture (the rules read titles and",
              "  bylines there); the rule cleaner's image-caption step is off for pages the model read",
              "  (it cost body lines). Without a chooser pick and no line decided title, the line of",
              "  highest P(title) >= 0.2 names the page in `meta.title` and stays in the text.",
              "- The floor is chosen on out-of-fold marginals of all pages, and `eval clean` uses that floor",
              "  for its fold models: a small optimism in the clean-path figures."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", default=str(shared_path(DEFAULT_GOLD)))
    parser.add_argument("--out", default="models/page_roles")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--quick", action="store_true", help="cross-validate only the chosen variant")
    args = parser.parse_args(argv)
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
