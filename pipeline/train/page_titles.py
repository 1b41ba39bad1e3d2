"""Train the headline chooser (``pipeline.components.clean.title_choice``) on top of the line CRF.

Called by ``python -m pipeline.train.page_roles`` (one command rebuilds both models). The
chooser learns from the CRF's *out-of-fold* marginals (what the CRF says of pages it never
saw, as at run time): for the shipped chooser the marginals of all pages by 5-fold CV; for
the chooser's own cross-validation, an inner CV inside each outer training fold, so no
held-out page informs either model that scores it.

Example: each candidate line of a page (``title_choice.candidates``), positive when it is
the page's first gold title line. Learner: L2 logistic regression (scikit-learn, L-BFGS,
deterministic), written out as a weight table. The threshold on the best candidate's score
and C are chosen through the clean path by the trainer (``choose_title_settings``);
``threshold_table`` shows what each threshold would pick, out of fold, for the card.
"""

from __future__ import annotations

from pipeline.components.clean.title_choice import TitleChooser, choice_features
from pipeline.record.text import normalise

THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05)


def gold_title_position(page: dict) -> int | None:
    """Position among non-blank lines of the page's first title line."""
    roles = [r for r in page["roles"] if r != "blank"]
    return next((p for p, r in enumerate(roles) if r == "title"), None)


def nonblank_texts(page: dict) -> list[str]:
    return [normalise(line.strip()) for line, role in zip(page["lines"], page["roles"]) if role != "blank"]


def examples(page: dict, features: list[dict], predictions: list, lexical: bool = True) -> list[tuple[dict, int]]:
    marginals = [m for _, m in predictions]
    gold = gold_title_position(page)
    candidates = choice_features(features, marginals, nonblank_texts(page), lexical)
    return [(f, int(p == gold)) for p, f in candidates.items()]


def fit(rows: list[tuple[dict, int]], c: float, threshold: float = 0.5, lexical: bool = True) -> TitleChooser:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([f for f, _ in rows]).toarray()  # a few hundred rows: dense is fine
    y = [label for _, label in rows]
    learner = LogisticRegression(C=c, solver="lbfgs", max_iter=2000).fit(x, y)
    weights = dict(zip(vectorizer.get_feature_names_out(), learner.coef_[0].tolist()))
    return TitleChooser(weights, float(learner.intercept_[0]), threshold, lexical=lexical)


def page_outcome(page: dict, features: list[dict], predictions: list, chooser: TitleChooser) -> dict:
    """What choosing would do on one page: the best candidate, its score, whether it is the
    gold first title line, and how many body units its line holds."""
    best, score = chooser.best(features, [m for _, m in predictions], nonblank_texts(page))
    if best is None:
        return {"score": 0.0, "right": False, "titled": gold_title_position(page) is not None, "body_units": 0}
    line = [n for n, r in enumerate(page["roles"]) if r != "blank"][best]
    return {"score": score, "right": best == gold_title_position(page),
            "titled": gold_title_position(page) is not None,
            "body_units": sum(u["line"] == line and u["role"] == "body" for u in page["units"])}


def threshold_table(outcomes: list[dict]) -> list[dict]:
    """Per threshold on the best candidate's score: the share of titled pages whose first
    title line it picks, how many pages it picks a line on, and the body units on them."""
    table = []
    titled = sum(o["titled"] for o in outcomes)
    for t in THRESHOLDS:
        chosen = [o for o in outcomes if o["score"] >= t]
        table.append({"threshold": t, "titles_right": round(sum(o["right"] for o in chosen) / max(1, titled), 4),
                      "chosen_pages": len(chosen), "body_units_removed": sum(o["body_units"] for o in chosen)})
    return table
