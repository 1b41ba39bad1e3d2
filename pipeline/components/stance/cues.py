"""Stance toward AI *risk*: which sentences are about AI, what stance they take, whose it is.

No Chinese training set exists for this task, so the stage is built from the annotation
guideline (``../shared/eval/ai_stance/GUIDELINES.md``) and general Chinese structure rather
than fitted to the 261 dev sentences (word lists fitted to dev overfit badly; learners tried
in ``pipeline/train/stance.py`` did not beat these rules):

* **AI detection**: a term list (人工智能, AI, 大模型, GPT-n, named labs and products …).
* **Stance**: cue categories from ``config/stance/cues.yaml`` (risk, concrete harm, governance
  → concerned; dismissal, aimed criticism, deflation, reassurance → dismissive), weighed by
  structure in ``_weigh``: negation before a cue flips it (不会导致失业 → dismissive,
  并非空穴来风 → concerned), the clause after 但/却/然而 outweighs the one before, a dismissal
  mutes the risk words it talks about, asserted harm or a call to regulate outweighs a
  dismissal, a concession (虽然…风险，但可控) keeps the risk, plain questions are damped.
* **Holder**: the subject of a speech or stance verb (表示/认为/指出/警告/直言/称 …), found
  with title+name, foreign-name, quoted-organisation, government-body and gazetteer patterns
  and the record's NER person names (v2; v1 used jieba's ``nr`` tags, whose dictionary took
  1.3 s to load in every job); pronouns, elided subjects, numbered points, quotations,
  interviews and page-break fragments continue the previous holder; unnamed groups give None.
  Holders are mapped to the canonical name of the record's NER ``entities`` when present.

Everything runs on a simplified (OpenCC character table), half-width copy of the text whose
characters map 1:1 onto the original, so every offset found is an offset in the record's text.
``load`` keys, all optional: ``lexicon`` (path), ``gazetteer`` (path), ``threshold`` (0.5).
"""

from __future__ import annotations

import re
from math import tanh

from pipeline.components.stance.lexicon import (
    CONCERNED_CATEGORIES, DISMISSIVE_CATEGORIES, Cue, SentenceStance, StanceModel, is_about_ai, load,
)
from pipeline.components.stance.profile import entity_names, profile, sentence_entries
from pipeline.components.stance.speakers import _CLAUSE_END, sentence_holders
from pipeline.record.text import normalise

VERSION = "zh.stance.cues.v2"
NEGATION_SCOPE = 8  # characters before a cue in which 不/没有/并非… negate it (不会导致大规模失业)

_A_NOT_A = re.compile(r"(.)[不没]\1")

__all__ = ["load", "predict", "set_annotations", "classify", "cue_profile", "is_about_ai"]


def find_cues(text: str, model: StanceModel) -> list[Cue]:
    """All lexicon hits in a normalised sentence, after removing names/features and nested hits."""
    blocked = [m.span() for m in model.neutralizers.finditer(text)]
    hits = []
    for category, patterns in model.cues.items():
        for pattern, weight in patterns:
            for match in pattern.finditer(text):
                begin, end = match.span()
                if end > begin and not any(begin < e and b < end for b, e in blocked):
                    hits.append(Cue(category, begin, end, weight))
    # a hit inside a longer hit is part of it (威胁 inside 不会…威胁, 风险 inside 风险与挑战)
    hits.sort(key=lambda cue: (cue.begin, -(cue.end - cue.begin)))
    kept: list[Cue] = []
    for cue in hits:
        if not any(k.begin <= cue.begin and cue.end <= k.end for k in kept):
            kept.append(cue)
    return kept


def _apply_negation(text: str, cues: list[Cue], model: StanceModel) -> None:
    """A negator shortly before a cue, in its clause, reverses risk, harm and dismissal cues."""
    for cue in cues:
        window = re.split(f"[{_CLAUSE_END}]", text[max(0, cue.begin - NEGATION_SCOPE) : cue.begin])[-1]
        window = _A_NOT_A.sub("", window)  # 会不会, 有没有 ask, they do not negate
        if not model.negators.search(window):
            continue
        if cue.category in ("risk", "harm"):  # 不会导致失业; a negated call to regulate stays a call
            cue.category, cue.weight = "reassurance", cue.weight * 0.8
        elif cue.category in ("dismissal", "criticism"):
            cue.category = "negated_dismissal"


def cue_profile(sentence: str, model: StanceModel) -> dict[str, float]:
    """Summed cue weight per category after negation (features for a learner)."""
    text = normalise(sentence)
    cues = find_cues(text, model)
    _apply_negation(text, cues, model)
    totals = dict.fromkeys(CONCERNED_CATEGORIES + DISMISSIVE_CATEGORIES + ("negated_dismissal",), 0.0)
    for cue in cues:
        totals[cue.category] += cue.weight
    return totals


def _clause_span(text: str, position: int) -> tuple[int, int]:
    begin = max((i + 1 for i, ch in enumerate(text[:position]) if ch in _CLAUSE_END), default=0)
    end = next((i for i in range(position, len(text)) if text[i] in _CLAUSE_END), len(text))
    return begin, end


def _weigh(text: str, cues: list[Cue], model: StanceModel) -> list[tuple[float, Cue]]:
    """Each cue's signed weight after the structural rules (the guideline's hard cases)."""
    contrast_at = [m.start() for m in model.contrast.finditer(text) if m.start() > 0]
    pivot = contrast_at[-1] if contrast_at else 0  # 但/却/然而: the clause after it is asserted
    # 虽然…风险，但…可控: the risk is acknowledged, so it stays concerned (case 2)
    conceded = bool(pivot and model.concession.search(text[:pivot])) and any(
        c.category == "risk" and c.begin < pivot for c in cues
    )
    # a dismissal or reassurance talks *about* the risk words on its side of the pivot
    muted_side = {c.begin >= pivot for c in cues if c.category in DISMISSIVE_CATEGORIES}
    # mixed sentences: asserted harms or a call to regulate outweigh a dismissal (case 1)
    asserts_harm = any(c.category in ("harm", "governance") for c in cues)
    criticism_aimed = bool(model.criticism_targets.search(text))
    ai_positions = [m.start() for m in model.ai_terms.finditer(text)]

    weighted = []
    for cue in cues:
        after = cue.begin >= pivot
        weight = cue.weight * (1.5 if (pivot and after) else 0.6 if pivot else 1.0)
        if cue.category == "risk" and after in muted_side and not conceded:
            weight *= 0.2
        if asserts_harm and cue.category in ("dismissal", "criticism", "deflation"):
            weight *= 0.5
        if cue.category == "criticism" and not criticism_aimed:
            weight *= 0.3  # 荒唐的推测: generic criticism with no risk claim in view
        if cue.polarity > 0 and ai_positions:
            begin, end = _clause_span(text, cue.begin)
            if not any(begin <= a < end for a in ai_positions):
                weight *= 0.5  # 垃圾清理…引入人工智能: the risk word is about something else
        if conceded and cue.category == "risk" and not after:
            weight *= 2.5
        if conceded and cue.category == "reassurance" and after:
            weight *= 0.3
        weighted.append((weight * cue.polarity, cue))
    return weighted


def classify(sentence: str, model: StanceModel) -> SentenceStance:
    """Stance of one sentence toward AI risk, from its cues and its clause structure."""
    text = normalise(sentence)
    cues = find_cues(text, model)
    _apply_negation(text, cues, model)
    weighted = _weigh(text, cues, model)
    total = sum(signed for signed, _ in weighted)
    rhetorical = any(c.category == "dismissal" and re.search("为何|为什么|何必", text[c.begin : c.end]) for c in cues)
    if text.rstrip("”」』) ").endswith(("?", "？")) and not rhetorical:
        total *= 0.3  # a plain question takes no position

    if abs(total) < model.threshold:
        confidence = 1.0 - min(abs(total) / model.threshold, 1.0) * 0.5
        return SentenceStance("neutral", 0.0, round(confidence, 3), None)
    sign = 1 if total > 0 else -1
    strongest = max((item for item in weighted if item[0] * sign > 0), key=lambda item: abs(item[0]))[1]
    opposing = sum(abs(signed) for signed, _ in weighted if signed * sign < 0)
    confidence = min(1.0, 0.5 + 0.25 * abs(total)) * (1.0 - min(opposing / (abs(total) + opposing), 0.5))
    return SentenceStance(
        "concerned" if sign > 0 else "dismissive",
        round(tanh(total / 1.5), 3),
        round(confidence, 3),
        (strongest.begin, strongest.end),
    )


def predict(records: list[dict], model: StanceModel) -> list[dict]:
    """The ``stance`` layer of each record: one entry per AI sentence, plus the document profile."""
    return [_stance_layer(record, model) for record in records]


def set_annotations(records: list[dict], layers: list[dict]) -> None:
    for record, layer in zip(records, layers):
        record["stance"] = layer


def _stance_layer(record: dict, model: StanceModel) -> dict:
    text = record["text"]
    spans = record.get("sentences") or [[0, len(text)]]
    sentences = [text[b:e] for b, e in spans]
    about_ai = [is_about_ai(s, model) for s in sentences]
    stances = [classify(s, model) if ai else SentenceStance("neutral", 0.0, 1.0, None) for s, ai in zip(sentences, about_ai)]
    names, persons = entity_names(record)
    holders = sentence_holders(sentences, stances, model, names, persons)
    entries = sentence_entries(record, spans, about_ai, stances, holders)
    return {"version": VERSION, "sentences": entries, "profile": profile(entries)}
