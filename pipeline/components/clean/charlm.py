"""A character trigram model that tells a paragraph's continuation from a new paragraph.

Newspaper layout cuts paragraphs mid-word and sets the rest later ("…马斯" … "克公开发表的…").
Whether paragraph B continues paragraph A is judged by how much more likely B's first
characters are after A's last characters than at the start of a paragraph:
``log P(b1 b2 b3 | a_-2 a_-1) − log P(b1 b2 b3 | start)``. An interpolated trigram model
trained from People's Daily 1998 and the MSRA NER training text by
``python -m pipeline.train.charlm`` (see models/charlm/MODEL_CARD.md).
"""

from __future__ import annotations

import gzip
import math
from functools import lru_cache
from pathlib import Path

import orjson

from pipeline.paths import MODELS_DIR

START = "\x02"  # paragraph/sentence start symbol in the counts
WINDOW = 3  # characters of the continuation scored
LAMBDAS = (0.6, 0.3, 0.1)  # trigram, bigram, unigram interpolation weights
VOCAB_GUESS = 8000


class CharTrigramLM:
    def __init__(self, counts: dict[str, int]):
        # Keys: "a" unigram, "ab" bigram, "abc" trigram counts; START marks a start.
        self.counts = counts
        self.total = counts.get("", 1)

    def _prob(self, context: str, char: str) -> float:
        c = self.counts
        uni = (c.get(char, 0) + 1) / (self.total + VOCAB_GUESS)
        prev = context[-1:]
        big = c.get(prev + char, 0) / c[prev] if c.get(prev) else uni
        if len(context) >= 2 and c.get(context[-2:]):
            tri = c.get(context[-2:] + char, 0) / c[context[-2:]]
        else:
            tri = big
        l3, l2, l1 = LAMBDAS
        return l3 * tri + l2 * big + l1 * uni

    def logprob(self, context: str, text: str) -> float:
        total = 0.0
        for char in text:
            total += math.log(self._prob(context, char))
            context = (context + char)[-2:]
        return total

    def continuation_score(self, before: str, after: str) -> float:
        """Log-odds that ``after`` continues ``before`` in running text rather than opening
        a new paragraph (positive: a continuation)."""
        head = after[:WINDOW]
        return self.logprob(before[-2:], head) - self.logprob(START * 2, head)

    @classmethod
    def load(cls, path: str | Path) -> "CharTrigramLM":
        path = Path(path) / "ngrams.json.gz"
        try:  # orjson: half the time of json for these 680k counts, paid by every clean job
            return cls(orjson.loads(gzip.decompress(path.read_bytes())))
        except (OSError, ValueError, EOFError) as error:
            raise RuntimeError(
                f"{path}: missing or corrupt character model ({error}); restore it with "
                "`git checkout -- models/charlm` or rebuild it with `python -m pipeline.train.charlm`"
            ) from None


@lru_cache(maxsize=2)
def default_lm(path: str = str(MODELS_DIR / "charlm")) -> CharTrigramLM:
    return CharTrigramLM.load(path)


class LazyLM:
    """The default model, loaded when a paragraph join is first scored: most batches
    (one-paragraph records, finished paragraphs) never need it, and it takes 0.3 s to load."""

    def continuation_score(self, before: str, after: str) -> float:
        return default_lm().continuation_score(before, after)
