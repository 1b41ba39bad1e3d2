"""Choose a page's headline: one line among the lines above the article, by a learned score.

The line CRF (``page_roles``) labels each line on its own evidence and its neighbours', so
on a page headed by navigation, counters and share buttons the headline's P(title) is often
small and a menu line can outscore it. A page has at most one headline, though, so this
second pass compares the candidate lines of one page with each other: a logistic model
scores each candidate from the CRF's features of the line, the CRF's marginals and the
line's rank among the candidates, and the best-scoring candidate is the headline when its
score reaches ``threshold`` (both learnt by ``pipeline.train.page_titles`` from
``train_docs.jsonl``; the threshold by cross-validation).

The model is a plain table of feature weights (``title_choice.json``): scoring needs no
library at run time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

CANDIDATE_LINES = 10  # the headline opens the page: in train_docs.jsonl it is within the first 8 lines
ROLES = ("title", "meta", "furniture", "body")


def candidates(features: list[dict[str, float]]) -> list[int]:
    """Positions (among non-blank lines) of the lines that could be the headline: those
    above the article's first paragraph-like line, and that line itself (a headline
    ending in ! or ? looks like a sentence), within the first ``CANDIDATE_LINES``."""
    first_paragraph = next((p for p, f in enumerate(features) if "before_article" not in f), len(features))
    return list(range(min(first_paragraph + 1, len(features), CANDIDATE_LINES)))


LEXICAL = ("pre", "suf", "bi=", "br_bi=")  # the CRF's character features of a line


def choice_features(features: list[dict[str, float]], marginals: list[dict[str, float]],
                    texts: list[str] | None = None, lexical: bool = True) -> dict[int, dict[str, float]]:
    """Features of each candidate: the CRF's own features of the line, its marginals, and
    where it stands among the page's candidates (rank of P(title), P(body), length; whether
    it holds another candidate whole, as a breadcrumb or a page title with the site name
    holds the headline, or is held by one). ``texts``: the non-blank lines, stripped."""
    positions = candidates(features)
    by_title = sorted(positions, key=lambda p: -marginals[p].get("title", 0.0))
    by_body = sorted(positions, key=lambda p: marginals[p].get("body", 0.0))
    by_length = sorted(positions, key=lambda p: -len(texts[p])) if texts else []
    overlaps = _article_overlap(texts, positions) if texts else {}
    result = {}
    for p in positions:
        f = {k: v for k, v in features[p].items()
             if not k.startswith(("n-", "n+")) and (lexical or not k.startswith(LEXICAL))}
        for role in ROLES:
            value = marginals[p].get(role, 0.0)
            f[f"m_{role}"] = value
            f[f"m_{role}={min(int(value * 5), 4)}"] = 1.0
        f[f"title_rank={min(by_title.index(p), 3)}"] = 1.0
        f[f"body_rank={min(by_body.index(p), 3)}"] = 1.0
        f[f"candidate={min(p, 4)}"] = 1.0
        f[f"candidates={min(len(positions), 5)}"] = 1.0
        if texts:
            f["overlap"] = overlaps[p]
            f[f"length_rank={min(by_length.index(p), 3)}"] = 1.0
            others = [texts[q] for q in positions if q != p and len(texts[q]) >= 6]
            if any(o in texts[p] and o != texts[p] for o in others):
                f["holds_candidate"] = 1.0
            if len(texts[p]) >= 6 and any(texts[p] in o and o != texts[p] for o in others):
                f["held_by_candidate"] = 1.0
        result[p] = f
    return result


def _article_overlap(texts: list[str], positions: list[int]) -> dict[int, float]:
    """Share of each candidate's character pairs found in the page's paragraphs (lines of
    60+ characters, other than itself): a headline repeats the article's words, a menu not."""
    article: set[str] = set()
    for text in texts:
        if len(text) >= 60:
            article.update(text[i:i + 2] for i in range(len(text) - 1))
    result = {}
    for p in positions:
        pairs = {texts[p][i:i + 2] for i in range(len(texts[p]) - 1)}
        result[p] = len(pairs & article) / len(pairs) if pairs and len(texts[p]) < 60 else 0.0
    return result


class TitleChooser:
    """Logistic scores over the candidates of a page; the best one, if good enough."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float, name_threshold: float = 0.0,
                 lexical: bool = True):
        self.weights, self.bias, self.lexical = weights, bias, lexical
        self.threshold = threshold  # the best candidate is the headline and leaves the text
        self.name_threshold = name_threshold  # the best candidate names the page (``meta.title``)

    def score(self, features: dict[str, float]) -> float:
        """P(headline) of one candidate."""
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def scores(self, features: list[dict[str, float]], marginals: list[dict[str, float]],
               texts: list[str]) -> dict[int, float]:
        return {p: self.score(f) for p, f in choice_features(features, marginals, texts, self.lexical).items()}

    def best(self, features: list[dict[str, float]], marginals: list[dict[str, float]],
             texts: list[str]) -> tuple[int | None, float]:
        """``(position among non-blank lines of the best candidate, its score)``; ``(None, 0)``
        on a page without candidates. Ties go to the earlier line. ``texts``: the page's
        non-blank lines."""
        scored = self.scores(features, marginals, texts)
        if not scored:
            return None, 0.0
        best = max(scored, key=lambda p: (scored[p], -p))
        return best, scored[best]

    def to_json(self) -> dict:
        return {"bias": self.bias, "threshold": self.threshold, "name_threshold": self.name_threshold,
                "lexical": self.lexical,
                "weights": {k: round(v, 6) for k, v in sorted(self.weights.items()) if abs(v) > 1e-9}}

    @classmethod
    def from_json(cls, data: dict) -> "TitleChooser":
        return cls(data["weights"], data["bias"], data["threshold"], data.get("name_threshold", 0.0),
                   data.get("lexical", True))

    @classmethod
    def load(cls, path: str | Path) -> "TitleChooser":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
