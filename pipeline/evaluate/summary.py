"""``python -m pipeline eval summary``: character ROUGE on LCSTS against extractive peers.

Every system gets the same budget in characters (``eval_budget_chars``, default 30: the
LCSTS texts average 108 characters and their reference summaries 18, so 30 is a digest
line a reader would ask for; the issue's first-sentence baseline uses the same cut) and
every output is cut to that budget before scoring.

Scoring: ``rouge_chinese.Rouge()`` with its defaults (ROUGE-1, ROUGE-2 and the
summary-level ROUGE-L, ``exclusive=True`` i.e. clipped n-gram counts), F1, on the
half-width texts with whitespace removed and every character joined by a space
(punctuation kept), averaged over documents; an empty output scores 0.

LCSTS records carry only text and sentences (no title, entities or stance), so this
measures clause selection and compression alone.

Peers, same run, same budget:
  lead      whole sentences from the start while they fit, else the first sentence cut;
  textrank  PageRank over sentences (cosine of character bigrams), best sentences in order;
  jionlp    ``jionlp.summary.extract_summary(text, summary_length=budget)`` (1.5.31).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path

from pipeline.components import annotate_with
from pipeline.components import summarize
from pipeline.record.text import to_halfwidth
from pipeline.paths import CONFIG_DIR, shared_path


def read_lcsts(path: Path) -> list[tuple[str, str]]:
    """(reference, text) pairs from a ``summary TAB text`` file, half-width on both sides."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if "\t" in line:
                reference, text = line.rstrip("\n").split("\t", 1)
                pairs.append((to_halfwidth(reference), to_halfwidth(text)))
    return pairs


def rouge_f1(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """Mean character ROUGE-1/2/L F1 (rouge-chinese defaults), 0 for an empty hypothesis."""
    from rouge_chinese import Rouge

    scorer = Rouge()
    totals = Counter()
    for hypothesis, reference in zip(hypotheses, references):
        hyp, ref = (" ".join("".join(s.split())) for s in (hypothesis, reference))
        if hyp and ref:
            scores = scorer.get_scores(hyp, ref)[0]
            for key in ("rouge-1", "rouge-2", "rouge-l"):
                totals[key] += scores[key]["f"]
    n = max(len(references), 1)
    return {name: round(totals[key] / n, 4) for name, key in
            (("rouge1", "rouge-1"), ("rouge2", "rouge-2"), ("rougeL", "rouge-l"))}


def lead(text: str, budget: int) -> str:
    """First sentences while they fit the budget; the first sentence cut when it alone does not."""
    out = ""
    for begin, end in summarize.split_sentences(text):
        if len(out) + end - begin > budget:
            break
        out += text[begin:end]
    return out or text[:budget]


def _bigrams(sentence: str) -> Counter:
    chars = [c for c in sentence if not c.isspace()]
    return Counter(a + b for a, b in zip(chars, chars[1:]))


def textrank(text: str, budget: int, damping: float = 0.85, iterations: int = 30) -> str:
    """Sentence TextRank: PageRank over bigram-cosine similarity, top sentences in order."""
    sentences = [text[b:e] for b, e in summarize.split_sentences(text)]
    if not sentences:
        return ""
    vectors = [_bigrams(s) for s in sentences]
    norms = [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in vectors]
    n = len(sentences)
    similarity = [[0.0 if i == j else sum(c * vectors[j][g] for g, c in vectors[i].items()) / (norms[i] * norms[j])
                   for j in range(n)] for i in range(n)]
    out_weight = [sum(row) or 1.0 for row in similarity]
    rank = [1.0 / n] * n
    for _ in range(iterations):
        rank = [(1 - damping) / n + damping * sum(similarity[j][i] * rank[j] / out_weight[j] for j in range(n))
                for i in range(n)]
    picked, used = [], 0
    for index in sorted(range(n), key=lambda i: -rank[i]):
        if used + len(sentences[index]) <= budget:
            picked.append(index)
            used += len(sentences[index])
    if not picked:
        return sentences[max(range(n), key=lambda i: rank[i])]
    return "".join(sentences[i] for i in sorted(picked))


def jionlp_summary(texts: list[str], budget: int) -> list[str]:
    """jionlp's extractive summariser (tf-idf + LDA topic weight + lead-3 + MMR) at the budget."""
    try:
        from jionlp.algorithm.summary import extract_summary  # prints a banner on import
    except ImportError as error:
        raise SystemExit(f"eval summary: the jionlp peer needs `pip install jionlp==1.5.31` ({error})")

    return [extract_summary(text, summary_length=budget) for text in texts]


def load_config() -> dict:
    """The ``summarize`` section of config/config.yaml, if there is one."""
    path = CONFIG_DIR / "config.yaml"
    if not path.exists():
        return {}
    import yaml

    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("summarize") or {}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline eval summary", description=__doc__.split("\n")[0])
    parser.add_argument("--gold", type=Path, help="summary TAB text file (default: shared eval/lcsts/dev.tsv)")
    parser.add_argument("--budget", type=int, help="characters per summary (default: config eval_budget_chars)")
    parser.add_argument("--rows", default=":", help="python slice START:END of the gold rows, e.g. 0:500")
    parser.add_argument("--no-peers", action="store_true", help="score only this stage's summarizer")
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = parser.parse_args(argv)

    pairs = read_lcsts(args.gold or shared_path("eval", "lcsts", "dev.tsv"))
    start, _, end = args.rows.partition(":")
    pairs = pairs[int(start) if start else None:int(end) if end else None]
    references = [reference for reference, _ in pairs]
    texts = [text for _, text in pairs]

    settings = summarize.load(load_config())
    budget = args.budget or settings.config["eval_budget_chars"]
    settings.config["budget_chars"] = budget
    records = [{"id": str(i), "text": t, "meta": {}, "sentences": summarize.split_sentences(t)}
               for i, t in enumerate(texts)]
    started = time.perf_counter()
    annotated = annotate_with(summarize, records, settings)
    seconds = time.perf_counter() - started
    ours = [r["summary"]["text"][:budget] for r in annotated]

    result = {"budget_chars": budget, **rouge_f1(ours, references),
              "docs_per_s": round(len(records) / max(seconds, 1e-9), 1), "docs": len(records)}
    if not args.no_peers:
        peers = {
            "lead": [lead(t, budget) for t in texts],
            "textrank": [textrank(t, budget) for t in texts],
            "jionlp": jionlp_summary(texts, budget),
        }
        result["peers"] = {name: rouge_f1([h[:budget] for h in hyps], references) for name, hyps in peers.items()}

    print(f"LCSTS {len(records)} texts, budget {budget} characters, character ROUGE F1 (rouge-chinese)")
    print(f"{'system':<28}{'R-1':>8}{'R-2':>8}{'R-L':>8}")
    for name, scores in [(summarize.VERSION, result), *result.get("peers", {}).items()]:
        print(f"{name:<28}{scores['rouge1']:>8.4f}{scores['rouge2']:>8.4f}{scores['rougeL']:>8.4f}")
    print(f"speed: {result['docs_per_s']} docs/s (model loaded, annotate only)")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0
