"""``python -m pipeline.train.ner_rescore``: train the page-level NER rescorer, cross-validated.

Weak supervision from ``eval/ai_stance/train_docs.jsonl``: each page lists the PER/ORG/LOC
forms it names (no offsets). Every candidate of a page (see
:mod:`pipeline.components.ner_rescore`) is labelled with the type of the listed form it
equals or overlaps by >= 60 %, else O, and a multinomial logistic regression learns the
decision. The page-lexicon statistics a page's candidates see never include that page:
training pages get leave-one-out statistics, held-out pages those of the training folds.

Figures are reported by 5-fold cross-validation grouped by page (fixed seed; a page and all
its candidates are in one fold); the shipped model is then trained on all pages and written
to ``<model>/rescore.json``. ``--variants`` runs the ablations recorded in the model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pipeline.train.folds import shuffled_folds
from pipeline.components import annotate_with
from pipeline.components import ner
from pipeline.components.ner_rescore import (LABELS, PageLexicon, candidates, decode, features,
                                             organisation_endings, pair_glosses, protected_spans)
from pipeline.components.ner_rescore import TYPES
from pipeline.evaluate import ner_docs
from pipeline.evaluate.ner_docs import _close, occurrences
from pipeline.record.text import to_halfwidth
from pipeline.paths import REPO_ROOT, shared_path

SEED = 0
FOLDS = 5
UNCERTAIN_BELOW = 0.95  # a character is "unsure" when the CRF's P(O) is below this
# The shipped settings, and the ablations ``--variants`` cross-validates against them.
SHIPPED = dict(c=1.0, threshold=0.5, longer_first=True, use_lexicon=True, name_words=False, extend=False, min_pages=0,
               keep_single=False, sentence_weight=1.0, glosses=True, uncertain=False, confidence=False)
VARIANTS = {
    "no_page_lexicon": dict(use_lexicon=False),
    "extension": dict(extend=True),
    "best_first": dict(longer_first=False),
    "best_first+name_words": dict(longer_first=False, name_words=True),
    "name_words": dict(name_words=True),
    "threshold=0.6": dict(threshold=0.6),
    "c=0.3": dict(c=0.3),
    "c=3.0": dict(c=3.0),
    "threshold=0.4": dict(threshold=0.4),
    "threshold=0.45": dict(threshold=0.45),
    "min_pages=1": dict(min_pages=1),
    "no_gloss_pairing": dict(glosses=False),
    "unsure_runs": dict(uncertain=True),
    "pages_only": dict(sentence_weight=0.0),
    "pages_only+keep_single": dict(sentence_weight=0.0, keep_single=True),
    "msra_dev_weight=0.3": dict(sentence_weight=0.3),
    "confidence": dict(confidence=True),
}


def label(text: str, gold: dict, b: int, e: int) -> str:
    """The gold type of a candidate: a listed form equal to it, else one it overlaps by at
    least 60 % of the longer (the page scorer's rule); O otherwise."""
    plain = to_halfwidth(text)
    form = plain[b:e]
    for t in TYPES:
        if form in (to_halfwidth(g) for g in gold[t]):
            return t
    for t in TYPES:
        for g in gold[t]:
            if any(_close((b, e), o) for o in occurrences(plain, to_halfwidth(g))):
                return t
    return "O"


class StageOutput(NamedTuple):
    spans: list    # the stage's mentions (type, begin, end), no rescorer
    unsure: list   # (begin, end) runs the CRF was unsure about (ner.statistical_spans)
    outside: list | None = None  # the CRF's P(O) per character
    model: object = None  # the NER model that gave them, when not the one passed along (a fold's CRF)


def base_spans(pages: list[dict], model) -> list[StageOutput]:
    """What the stage gives the rescorer for each page (or sentence record)."""
    saved, model.rescorer = model.rescorer, None
    try:
        records = annotate_with(ner, [{k: p[k] for k in ("id", "text", "sentences") if k in p} for p in pages], model)
    finally:
        model.rescorer = saved
    out = []
    for page, record in zip(pages, records):
        unsure: list = []
        outside = [1.0] * len(page["text"])
        ner.statistical_spans(page["text"], ner.sentence_spans(page), model, unsure, UNCERTAIN_BELOW, outside)
        out.append(StageOutput([(k, b, e) for _, k, b, e in record["ner"]], unsure, outside))
    return out


def held_out_spans(pages: list[dict], fold_models: dict) -> list[StageOutput]:
    """What the stage gives each page when its CRF never saw that page: for a CRF trained
    on the pages' lists (``pipeline.train.ner --page-silver``), the CRF trained without the
    page's fold (``fold_models``: fold number → loaded model; folds of :func:`folds_of`).
    Each output keeps its model, whose lexicon then describes the page's candidates."""
    fold = folds_of(pages)
    out: list = [None] * len(pages)
    for k, model in fold_models.items():
        members = [i for i in range(len(pages)) if fold[i] == k]
        for i, stage in zip(members, base_spans([pages[i] for i in members], model)):
            out[i] = stage._replace(model=model)
    missing = [pages[i]["id"] for i in range(len(pages)) if out[i] is None]
    if missing:
        raise ValueError(f"no fold model for the folds of {len(missing)} pages (e.g. {missing[0]})")
    return out


def load_fold_models(pattern: str) -> dict:
    """Fold models from a folder pattern with ``{fold}`` (``/work/cache/ner-folds/S{fold}``)."""
    return {k: ner.load({"model": pattern.format(fold=k), "rescore": False}) for k in range(FOLDS)}


def page_rows(page, stage: StageOutput, lexicon: PageLexicon, model, labelled=True, use_lexicon=True,
              name_words=True, extend=True, uncertain=True, confidence=False):
    """(candidates, feature dicts, labels) of one page."""
    model = stage.model if stage.model is not None else model
    plain = ner.tagging_copy(page["text"])
    lex = lexicon if use_lexicon else PageLexicon.build([])
    cands = candidates(page["text"], stage.spans, lex, word_lexicon=model.lexicon if name_words else None,
                       endings=organisation_endings(model.lexicon.words) if extend else frozenset(),
                       uncertain=stage.unsure if uncertain else ())
    rows = features(page["text"], plain, cands, lex, model.lexicon.words, model.gazetteer,
                    stage.outside if confidence else None)
    labels = [label(page["text"], page["entities"], b, e) for b, e in cands] if labelled else []
    return cands, rows, labels


MSRA_TYPES = {"NR": "PER", "NS": "LOC", "NT": "ORG"}


def read_msra_dev() -> list[tuple[str, set]]:
    """``eval/msra_ner/dev.bios`` (``char tag`` lines, BMES over NR/NS/NT) as (half-width
    text, {(type, begin, end)}). The CRF never trained on it (its trainer removes it), so
    the stage's mentions on it are held-out predictions."""
    from pipeline.components.ner import bmes_spans
    from pipeline.record.text import to_halfwidth

    out = []
    for block in shared_path("eval", "msra_ner", "dev.bios").read_text(encoding="utf-8").split("\n\n"):
        rows = [line.rsplit(" ", 1) for line in block.splitlines() if line.strip()]
        if not rows:
            continue
        tags = [t.split("-")[0] + "-" + MSRA_TYPES[t.split("-")[1]] if "-" in t else "O" for _, t in rows]
        out.append((to_halfwidth("".join(c or " " for c, _ in rows)), set(bmes_spans(tags))))
    return out


def sentence_rows(sentences, spans, lexicon: PageLexicon, model, **options):
    """Rows and labels of single sentences with gold spans (a candidate is its gold type when
    it is exactly a gold span, else O): the sentence-level convention beside the pages'."""
    rows, labels = [], []
    for (text, gold), s in zip(sentences, spans):
        page = {"text": text, "entities": {t: [] for t in TYPES}}
        cands, r, _ = page_rows(page, s, lexicon, model, labelled=False, **options)
        by_span = {(b, e): t for t, b, e in gold}
        rows += r
        labels += [by_span.get(span, "O") for span in cands]
    return rows, labels


def fit(rows: list[dict], labels: list[str], c: float, min_count: int = 2, weights_of_rows=None):
    """Multinomial logistic regression; returns (feature names, weights with the intercept
    folded into ``bias``)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for row in rows:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    kept = [{n: v for n, v in row.items() if counts[n] >= min_count} for row in rows]
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(kept)
    y = np.array([LABELS.index(l) for l in labels])
    learner = LogisticRegression(C=c, max_iter=2000, random_state=SEED)
    learner.fit(x, y, sample_weight=weights_of_rows)
    weights = np.zeros((x.shape[1], len(LABELS)))
    bias = np.zeros(len(LABELS))
    if len(learner.classes_) == 2:  # one score column: the second class against the first
        weights[:, learner.classes_[1]], bias[learner.classes_[1]] = learner.coef_[0], learner.intercept_[0]
    else:
        weights[:, learner.classes_], bias[learner.classes_] = learner.coef_.T, learner.intercept_
    names = list(vectorizer.get_feature_names_out())
    weights[names.index("bias")] += bias
    return names, weights


def probabilities(names, weights, rows):
    from pipeline.components.ner_rescore import Rescorer

    return Rescorer({n: i for i, n in enumerate(names)}, weights, None, 0.5).probabilities(rows)


def folds_of(pages: list[dict]) -> list[int]:
    return shuffled_folds(len(pages), SEED, FOLDS)


def training_rows(pages, spans, model, **options):
    """The page lexicon of ``pages`` and their candidates' rows and labels (leave-one-out statistics)."""
    lexicon = PageLexicon.build(pages)
    rows, labels = [], []
    for page, s in zip(pages, spans):
        _, r, l = page_rows(page, s, lexicon.without(page), model, **options)
        rows += r
        labels += l
    return lexicon, rows, labels


def fit_all(pages, spans, model, c, sentences=(), sentence_spans=(), sentence_weight=0.0, **options):
    """The page lexicon of ``pages`` and a rescorer (names, weights) trained on them, plus
    the labelled sentences weighted ``sentence_weight`` (0: pages only)."""
    lexicon, rows, labels = training_rows(pages, spans, model, **options)
    row_weights = [1.0] * len(rows)
    if sentence_weight:
        more_rows, more_labels = sentence_rows(sentences, sentence_spans, lexicon, model, **options)
        rows, labels = rows + more_rows, labels + more_labels
        row_weights += [sentence_weight] * len(more_rows)
    return lexicon, fit(rows, labels, c, weights_of_rows=np.array(row_weights))


def cross_validate(pages, spans, model, c=1.0, threshold=0.5, longer_first=False, min_pages=0, keep_single=False,
                   glosses=True,
                   sentences=(), sentence_spans=(), sentence_weight=0.0, **options) -> list[list]:
    """Held-out mentions (text, type, begin, end) of every page, by grouped folds."""
    fold = folds_of(pages)
    predicted: list[list] = [[] for _ in pages]
    for k in range(FOLDS):
        train = [i for i in range(len(pages)) if fold[i] != k]
        lexicon, (names, weights) = fit_all([pages[i] for i in train], [spans[i] for i in train], model, c,
                                            sentences, sentence_spans, sentence_weight, **options)
        for i in (i for i in range(len(pages)) if fold[i] == k):
            cands, r, _ = page_rows(pages[i], spans[i], lexicon, model, labelled=False, **options)
            kept = protected_spans(pages[i]["text"], cands, lexicon, min_pages, keep_single)
            probs = probabilities(names, weights, r) if cands else None
            chosen = decode(list(cands), probs, threshold, longer_first, kept) if cands else []
            if glosses and cands:
                chosen = pair_glosses(chosen, cands, probs, ner.tagging_copy(pages[i]["text"]))
            predicted[i] = [(pages[i]["text"][b:e], t, b, e) for t, b, e in chosen]
    return predicted


def msra_dev_with_spans(model):
    sentences = read_msra_dev()
    return sentences, base_spans([{"id": str(i), "text": t, "sentences": [[0, len(t)]]}
                                  for i, (t, _) in enumerate(sentences)], model)


def cross_validated_pages(pages: list[dict], model, params: dict, fold_models: dict | None = None) -> list[list]:
    """Held-out mentions of every page under ``params`` (the ``params`` of a shipped
    ``rescore.json``): what ``eval ner`` reports for a rescorer trained on these pages.
    ``fold_models``: the fold CRFs, when the shipped CRF itself learnt from these pages."""
    settings = {k: v for k, v in params.items() if k in SHIPPED}
    sentences, sentence_spans = msra_dev_with_spans(model) if settings.get("sentence_weight") else ((), ())
    spans = held_out_spans(pages, fold_models) if fold_models else base_spans(pages, model)
    return cross_validate(pages, spans, model, sentences=sentences, sentence_spans=sentence_spans, **settings)


def headline(summary: dict) -> dict:
    return {"per": summary["per"]["found"], "org": summary["org"]["found"], "loc": summary["loc"]["found"],
            "found": summary["all"]["found"], "correct": summary["all"]["correct"],
            "hant_found": summary["by_script"].get("hant", {}).get("all", {}).get("found"),
            "hant_correct": summary["by_script"].get("hant", {}).get("all", {}).get("correct")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train.ner_rescore", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/ner", help="model folder (its CRF gives the stage's mentions)")
    parser.add_argument("--docs", help="pages with entity lists instead of eval/ai_stance/train_docs.jsonl")
    parser.add_argument("--c", type=float, default=SHIPPED["c"], help="inverse L2 strength of the logistic regression")
    parser.add_argument("--threshold", type=float, default=SHIPPED["threshold"])
    parser.add_argument("--sentence-weight", type=float, default=SHIPPED["sentence_weight"],
                        help="weight of the MSRA dev sentences' candidates beside the pages' (0: pages only)")
    parser.add_argument("--keep-single", choices=("yes", "no"), help="override the shipped keep_single")
    parser.add_argument("--confidence", choices=("yes", "no"), help="override the shipped confidence "
                        "(the CRF's P(O) per character as features)")
    parser.add_argument("--fold-models", help="folder pattern with {fold} of the page-fold CRFs, for a CRF "
                        "trained on the pages' lists (pipeline.train.ner --page-silver): each page's mentions "
                        "come from the CRF that never saw it, in CV and for the shipped fit")
    parser.add_argument("--variants", action="store_true", help="also cross-validate the ablations")
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    parser.add_argument("--only", nargs="*", help="cross-validate only these variants (names as printed)")
    args = parser.parse_args(argv)
    docs_path = Path(args.docs) if args.docs else shared_path("eval", "ai_stance", "train_docs.jsonl")
    pages = ner_docs.read_docs(docs_path)
    model = ner.load({"model": args.model, "rescore": False})
    started = time.time()
    fold_models = load_fold_models(args.fold_models) if args.fold_models else None
    spans = held_out_spans(pages, fold_models) if fold_models else base_spans(pages, model)
    summaries = {"stage": ner_docs.summarise(pages, [[(p["text"][b:e], t, b, e) for t, b, e in s]
                                                     for p, s in zip(pages, (x.spans for x in spans))])}
    results = {"stage": headline(summaries["stage"])}
    shipped = dict(SHIPPED, c=args.c, threshold=args.threshold, sentence_weight=args.sentence_weight)
    if args.keep_single is not None:
        shipped["keep_single"] = args.keep_single == "yes"
    if args.confidence is not None:
        shipped["confidence"] = args.confidence == "yes"
    variants = [("cv", shipped)]
    if args.variants:
        variants += [(name, dict(shipped, **change)) for name, change in VARIANTS.items()]
    variants = [(n, kw) for n, kw in variants if not args.only or n in args.only]
    msra_dev, msra_dev_spans = msra_dev_with_spans(model)
    for name, kw in variants:
        predicted = cross_validate(pages, spans, model, sentences=msra_dev, sentence_spans=msra_dev_spans, **kw)
        summaries[name] = ner_docs.summarise(pages, predicted)
        results[name] = headline(summaries[name])
        print(name, json.dumps(results[name]), flush=True)
    if not args.no_write:
        options = {k: v for k, v in shipped.items()
                   if k not in ("c", "threshold", "longer_first", "min_pages", "keep_single", "sentence_weight", "glosses")}
        lexicon, (names, weights) = fit_all(pages, spans, model, args.c, msra_dev, msra_dev_spans,
                                            shipped["sentence_weight"], **options)
        out = REPO_ROOT / args.model / "rescore.json"
        spec = {
            "version": "zh.ner.rescore.v1",
            "train": {"path": "eval/ai_stance/train_docs.jsonl",
                      "sha256": hashlib.sha256(docs_path.read_bytes()).hexdigest(), "pages": len(pages),
                      "msra_dev_sentences": len(msra_dev)},
            "stage_mentions": "held out: each page's from the CRF of the other folds (" + args.fold_models + ")"
                              if fold_models else "the model's own CRF (it never saw these pages)",
            "params": dict(shipped, seed=SEED, folds=FOLDS,
                           uncertain_below=UNCERTAIN_BELOW if shipped["uncertain"] else 0.0),
            "cross_validated": results,
            # Full page summaries of the stage alone and of the shipped settings, by page CV:
            # what ``eval ner`` reports when the fold CRFs are not at hand.
            "cross_validated_summary": {k: summaries[k] for k in ("stage", "cv") if k in summaries},
            "seconds": round(time.time() - started),
            "threshold": args.threshold,
            "features": names,
            "weights": np.round(weights, 5).tolist(),
            "page_lexicon": lexicon.to_json(),
        }
        out.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        print("wrote", out, len(names), "features")
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
