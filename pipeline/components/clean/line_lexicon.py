"""A lexical line model: P(role) of one line from the character n-grams of its text alone.

The page-role CRF (``page_roles``) sees a line's length, shape, position and neighbours,
and only the characters at its ends (plus the character pairs of short lines). Much page
furniture is told by words anywhere in it: 浏览器 and 隐私 in cookie and browser notices,
图片来源 and 资料图片 in captions, 点击 and 分享 in buttons. This model learns such cues
from the training pages: a multinomial logistic regression over the character 1- to
3-grams of the line (read simplified and half-width by ``normalise``, digits as 0, with
^ and $ marking its start and end), trained by ``fit`` (scikit-learn, L-BFGS,
deterministic). Its probabilities feed the CRF as features (``page_roles.page_features``);
the trainer (``pipeline.train.page_roles``) gives the CRF out-of-fold probabilities, so it
learns how far to trust them on lines the lexical model has not seen.

At run time the model is a table of n-gram weights (``line_lexicon.json``): scoring needs
no library, and costs a few dictionary look-ups per character of a line.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from pipeline.record.text import normalise

_DIGIT = re.compile(r"[0-9０-９]")
MAX_CHARS = 300  # a line's first characters tell its kind; bounds the cost of very long lines


def ngrams(text: str, orders: tuple[int, ...] = (1, 2, 3)) -> set[str]:
    """The distinct character n-grams of one line, with ^ and $ at its ends."""
    line = "^" + _DIGIT.sub("0", normalise(text.strip()))[:MAX_CHARS] + "$"
    return {line[i:i + n] for n in orders for i in range(len(line) - n + 1)}


class LineLexicon:
    """Weights per n-gram and role; ``probabilities`` is the softmax of their sums
    (each line's n-grams weighted 1/sqrt(count), as in training)."""

    def __init__(self, roles: list[str], bias: list[float], weights: dict[str, list[float]],
                 orders: tuple[int, ...] = (1, 2, 3), settings: dict | None = None):
        self.roles, self.bias, self.weights = list(roles), list(bias), weights
        self.orders = tuple(orders)
        self.settings = settings or {}

    def probabilities(self, text: str) -> dict[str, float]:
        grams = ngrams(text, self.orders)
        scale = 1.0 / math.sqrt(max(1, len(grams)))
        scores = list(self.bias)
        for gram in sorted(grams):  # a fixed order: float sums must not depend on the string hash seed
            row = self.weights.get(gram)
            if row is not None:
                for k, w in enumerate(row):
                    scores[k] += w * scale
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return {role: e / total for role, e in zip(self.roles, exp)}

    def to_json(self) -> dict:
        return {"roles": self.roles, "bias": [round(b, 6) for b in self.bias], "orders": list(self.orders),
                "settings": self.settings,
                "weights": {g: [round(w, 5) for w in row] for g, row in sorted(self.weights.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "LineLexicon":
        return cls(data["roles"], data["bias"], data["weights"], tuple(data.get("orders", (1, 2, 3))),
                   data.get("settings"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n",
                              encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "LineLexicon":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def fit(texts: list[str], labels: list[str], c: float = 1.0, min_lines: int = 2,
        orders: tuple[int, ...] = (1, 2, 3), class_weight: str | None = None) -> LineLexicon:
    """Learn a ``LineLexicon`` from lines and their roles. ``min_lines``: an n-gram must occur
    in that many training lines to get a weight (rarer ones are noise and size)."""
    from collections import Counter

    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    grams = [ngrams(t, orders) for t in texts]
    document_frequency = Counter(g for line in grams for g in line)
    vocabulary = sorted(g for g, n in document_frequency.items() if n >= min_lines)
    column = {g: k for k, g in enumerate(vocabulary)}
    rows, cols, values = [], [], []
    for r, line in enumerate(grams):
        scale = 1.0 / math.sqrt(max(1, len(line)))  # all n-grams of the line count for the scale
        for g in sorted(line):
            if g in column:
                rows.append(r)
                cols.append(column[g])
                values.append(scale)
    x = csr_matrix((values, (rows, cols)), shape=(len(texts), len(vocabulary)), dtype=np.float64)
    roles = sorted(set(labels))
    if len(roles) < 2:  # one class only: a constant model
        return LineLexicon(roles, [0.0], {}, orders, {"c": c, "min_lines": min_lines})
    learner = LogisticRegression(C=c, solver="lbfgs", max_iter=3000, class_weight=class_weight)
    learner.fit(x, labels)
    coef, bias = learner.coef_, learner.intercept_
    if len(learner.classes_) == 2:  # sklearn keeps one row for two classes: spread it as a softmax
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    weights = {g: coef[:, k].tolist() for g, k in column.items() if np.any(coef[:, k] != 0)}
    return LineLexicon(list(learner.classes_), bias.tolist(), weights, orders,
                       {"c": c, "min_lines": min_lines, "class_weight": class_weight})
