"""``python -m pipeline eval segment``: SIGHAN-style word P/R/F1 of the segmenter and its peers.

Scores word spans over the whole file (a word counts when both its edges match the gold),
on SIGHAN 2005 PKU (the bar) and MSR (another standard, reported only), plus recall of
gold words absent from the PKU training word list (OOV recall). In the same run it
measures jieba (default mode) and pkuseg (default model) on the same text, and the
characters per second of each (model loaded, whole file, best of 3). Every side sees
the half-width normalised text. Our peak memory is read before any peer is loaded.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Callable

from pipeline.components import annotate_with
from pipeline.components import segment
from pipeline.record.text import to_halfwidth
from pipeline.paths import shared_path

Segment = Callable[[list[str]], list[list[str]]]  # lines → words of each line


def read_gold(path: Path) -> list[list[str]]:
    return [to_halfwidth(line).split() for line in path.read_text(encoding="utf-8").splitlines()]


def read_text(path: Path) -> list[str]:
    """The raw test text, one line per gold line, normalised like every other input."""
    return [to_halfwidth(line) for line in path.read_text(encoding="utf-8").splitlines()]


def word_spans(words: list[str], keep: Callable[[str], bool] = lambda word: True) -> set[tuple[int, int]]:
    """(begin, end) of each kept word in the concatenated text."""
    spans, start = set(), 0
    for word in words:
        if keep(word):
            spans.add((start, start + len(word)))
        start += len(word)
    return spans


def score(gold: list[list[str]], predicted: list[list[str]], known: set[str] | None = None) -> dict:
    """Word-level precision/recall/F1 by character spans over the whole file; OOV recall when ``known``.

    Spans are offsets into the file's non-whitespace characters, so the two sides may break
    lines differently (16 MSR test lines do) as long as the characters agree.
    """
    gold_words = [w for line in gold for w in line]
    pred_words = [w for line in predicted for w in (p.strip() for p in line) if w]
    if "".join(gold_words) != "".join(pred_words):  # whitespace never counts
        raise ValueError("the prediction changed the text")
    gold_spans, pred_spans = word_spans(gold_words), word_spans(pred_words)
    correct = len(gold_spans & pred_spans)
    p, r = correct / max(len(pred_spans), 1), correct / max(len(gold_spans), 1)
    result = {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4)}
    if known is not None:
        oov_spans = word_spans(gold_words, keep=lambda w: w not in known)
        result["oov_recall"] = round(len(oov_spans & pred_spans) / max(len(oov_spans), 1), 4)
    return result


def chars_per_second(run: Segment, lines: list[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run(lines)
        best = min(best, time.perf_counter() - started)
    return round(sum(map(len, lines)) / best)


def ours(config: dict) -> Segment:
    model = segment.load(config)

    def run(lines: list[str]) -> list[list[str]]:
        records = [{"id": str(i), "text": line} for i, line in enumerate(lines)]
        return [[word for word, _, _ in r["tok"]] for r in annotate_with(segment, records, model)]

    return run


def jieba_peer() -> Segment:
    import jieba

    jieba.initialize()
    return lambda lines: [list(jieba.cut(line)) for line in lines]


def pkuseg_peer() -> Segment:
    import pkuseg

    seg = pkuseg.pkuseg()
    return lambda lines: [seg.cut(line) for line in lines]


def peak_rss_mb() -> float:
    """Peak resident memory of this process plus the largest pool worker (a conservative sum)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + workers) / 1024, 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline eval segment")
    parser.add_argument("--gold", help="PKU gold file (default: shared sighan2005/pku_test_gold.utf8)")
    parser.add_argument("--model", default="models/segmenter")
    parser.add_argument("--no-peers", action="store_true", help="skip jieba and pkuseg")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    sighan = ("eval", "sighan2005")
    pku_gold_path = Path(args.gold) if args.gold else shared_path(*sighan, "pku_test_gold.utf8")
    pku_gold = read_gold(pku_gold_path)
    msr_gold = read_gold(shared_path(*sighan, "msr_test_gold.utf8"))
    pku_lines = read_text(pku_gold_path.with_name(pku_gold_path.name.replace("_gold", "")))
    msr_lines = read_text(shared_path(*sighan, "msr_test.utf8"))
    training_words = shared_path(*sighan, "pku_training_words.utf8").read_text(encoding="utf-8")
    known = set(to_halfwidth(training_words).split())

    systems: dict[str, Callable[[], Segment]] = {"ours": lambda: ours({"model": args.model})}
    if not args.no_peers:
        systems |= {"jieba": jieba_peer, "pkuseg": pkuseg_peer}

    rows, result = [], {}
    for name, make in systems.items():
        try:
            run = make()
        except ImportError as error:
            print(f"{name}: not installed ({error}); skipped")
            continue
        pku = score(pku_gold, run(pku_lines), known)
        msr = score(msr_gold, run(msr_lines))
        speed = chars_per_second(run, pku_lines)
        rows.append((name, pku, msr, speed))
        if name == "ours":
            result = {"pku": pku, "msr": {"f1": msr["f1"]}, "chars_per_s": speed,
                      "peak_rss_mb": peak_rss_mb(), "peers": {}}
        else:
            result["peers"][name] = {"pku_f1": pku["f1"], "chars_per_s": speed}

    print(f"{'system':<8} {'PKU P':>7} {'PKU R':>7} {'PKU F1':>7} {'OOV R':>7} {'MSR F1':>7} {'chars/s':>9}")
    for name, pku, msr, speed in rows:
        print(f"{name:<8} {pku['p']:>7.4f} {pku['r']:>7.4f} {pku['f1']:>7.4f} "
              f"{pku['oov_recall']:>7.4f} {msr['f1']:>7.4f} {speed:>9,}")
    print(f"peak RSS of our segmenter (process + largest worker): {result.get('peak_rss_mb')} MB")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0
