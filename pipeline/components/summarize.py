"""Extractive summaries built from clauses, every piece traceable to its source span.

Chinese news sentences are long chains of clauses joined by ，and ；. Short references (a
headline, a digest line) usually reuse one or two of those clauses, so the unit here is the
clause, not the sentence:

1. split each sentence of ``record["sentences"]`` at ，； into clauses and compress each one
   by dropping a leading discourse marker (``但是他说`` → ``他说``) and short parentheticals
   (``（南方日报）``); clauses under 6 word characters (``昨日，``) are fragments and go;
2. score a clause by the salience of the words it contains (frequency in this document ×
   IDF from jieba's table, so a repeated name outweighs a repeated 我们), by its position, by
   its overlap with the title and by how often its named entities are mentioned;
3. pick clauses greedily under a character budget with MMR (a clause that repeats what is
   already picked loses its score) until the best gain falls under ``min_gain`` of the top
   score, once the summary holds ``fill_ratio`` of the text: a 108-character text gets a
   headline-length digest, an article fills its 200 characters; emit in document order.
   When the best clause alone is longer than the budget, the summary is that clause cut
   at the budget (it beat falling back to a weaker clause on LCSTS).
   A sentence equal to ``meta.title`` or ``meta.byline`` is never picked.

With ``stance_aware`` (default) a document whose ``stance`` layer holds AI-risk statements
gets its strongest ``concerned`` and strongest ``dismissive`` statement into the summary
first (each within half the budget, preferring statements with a known holder), cut down
to the clauses holding the holder's mention and the stance cue; when the sentence does not
name the holder (他警告说…), the holder's nearest earlier mention is put before it.

Layer written: ``summary = {"sentences": [[text, begin, end], ...], "text": ..., "budget_chars":
N, "method": VERSION}``. Each entry is one contiguous span of ``record["text"]`` with
``text[begin:end] == entry[0]``, entries in text order; a clause whose parenthetical was
dropped becomes two entries. ``summary["text"]`` is the entries joined, with punctuation at
its very end removed and ``：`` added after an entry that only names a holder: the only
characters of the summary that are not in a span.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.record.text import CONNECTIVES, split_sentences  # the one sentence rule of the project
from pipeline.running.caches import cached
from pipeline.config import with_defaults
from pipeline.paths import REPO_ROOT

VERSION = "zh.summarize.clause_mmr.v1"

CLAUSE_END = "，；,;"
TRAILING_PUNCT = "，；：、,;: 。！？!?…"
PARENTHETICAL = re.compile(r"（[^（）]{0,30}）|\([^()]{0,30}\)|【[^【】]{0,30}】")
# Discourse markers that open a clause without adding content. Clause splitting leaves
# "但是，" as a clause of its own (then too short to keep), so these catch "但是他说…".
# Temporal or partitive openers (随后, 如今, 其中, 同时) carry meaning and stay.
LEADING_CONNECTIVES = CONNECTIVES + ("并且", "于是", "其实", "据介绍", "记者了解到", "记者注意到")
_CONNECTIVE_PATTERN = re.compile("|".join(sorted(LEADING_CONNECTIVES, key=len, reverse=True)))
SPEECH_INTRO = re.compile(r"(?:表示|指出|认为|称|说|说道|强调|透露|介绍|坦言|警告|直言|提醒|呼吁|发现)$")
_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass
class Settings:
    """What ``load`` returns: the merged config and the IDF table."""

    config: dict
    idf: dict[str, float]
    default_idf: float


@dataclass
class Clause:
    """A compressed clause: its spans in the text, and the terms used to score it."""

    spans: list[tuple[int, int]]
    index: int
    length: int
    terms: Counter = field(default_factory=Counter)
    score: float = 0.0


def _default_idf_path() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "analyse" / "idf.txt"


def load(config: dict | None = None) -> Settings:
    """``config`` over the schema's defaults (unknown keys are an error); reads the IDF table once."""
    merged = with_defaults("summarize", config)
    path = REPO_ROOT / merged["idf_path"] if merged["idf_path"] else _default_idf_path()
    # Parsing the 350k-line table takes 0.5 s, paid by every summarize job; its pickle, 0.1 s.
    idf, default_idf = cached("summarize-idf", [path, __file__], lambda: read_idf(path))
    return Settings(config=merged, idf=idf, default_idf=default_idf)


def read_idf(path: Path) -> tuple[dict[str, float], float]:
    """``word idf`` lines → the table and its median (the IDF of a word not in it)."""
    idf = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, _, value = line.rstrip("\n").rpartition(" ")
            if word:
                idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]


def _clause_spans(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    """Split one sentence span at clause punctuation, keeping the punctuation on the clause.
    A clause that only introduces speech (``胡存智表示，``) stays joined to what was said."""
    spans, start = [], begin
    for position in range(begin, end):
        if text[position] in CLAUSE_END and not SPEECH_INTRO.search(text, start, position):
            spans.append((start, position + 1))
            start = position + 1
    if start < end:
        spans.append((start, end))
    return spans


def _compress(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    """Drop a leading connective and any short parenthetical; returns the kept spans."""
    match = _CONNECTIVE_PATTERN.match(text, begin, end)
    if match and match.end() < end:
        begin = match.end()
    kept, start = [], begin
    for paren in PARENTHETICAL.finditer(text, begin, end):
        if paren.start() > start:
            kept.append((start, paren.start()))
        start = paren.end()
    if start < end:
        kept.append((start, end))
    return [(b, e) for b, e in kept if _WORD_CHAR.search(text, b, e)]


def _word_chars(text: str, spans: list[tuple[int, int]]) -> int:
    return sum(len(_WORD_CHAR.findall(text, b, e)) for b, e in spans)


def _terms(text: str, spans: list[tuple[int, int]]) -> Counter:
    """Character bigrams of the clause (punctuation skipped).

    Bigrams need no segmenter and score like jieba words on LCSTS (R-L 0.2053 vs 0.2057 on
    rows 0-499, same settings); two-character words, the bulk of the IDF table, are
    bigrams, and a bigram not in the table gets its median IDF."""
    counts: Counter = Counter()
    for begin, end in spans:
        chars = [c for c in text[begin:end] if _WORD_CHAR.match(c)]
        counts.update(a + b for a, b in zip(chars, chars[1:]))
    return counts


def _title(record: dict) -> str:
    return ((record.get("meta") or {}).get("title") or "").strip(" #")


def _clauses(record: dict, min_chars: int) -> list[Clause]:
    text = record["text"]
    sentences = record.get("sentences") or split_sentences(text)
    meta = record.get("meta") or {}
    front_matter = {_title(record), (meta.get("byline") or "").strip()} - {""}
    clauses = []
    for begin, end in sentences:
        if text[begin:end].strip(" #") in front_matter:
            continue  # the reader sees title and byline already; the title still guides scoring
        for clause_begin, clause_end in _clause_spans(text, begin, end):
            spans = _compress(text, clause_begin, clause_end)
            if _word_chars(text, spans) < min_chars:
                continue
            clauses.append(
                Clause(
                    spans=spans,
                    index=len(clauses),
                    length=sum(e - b for b, e in spans),
                    terms=_terms(text, spans),
                )
            )
    return clauses


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(value * b[key] for key, value in a.items() if key in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _entity_mentions(record: dict) -> Counter:
    """How often each entity name is mentioned: a clause naming a main actor is worth more."""
    counts: Counter = Counter()
    for entity in record.get("entities") or []:
        counts[entity["name"]] += len(entity.get("mentions", []))
    if not counts:
        counts.update(span[0] for span in record.get("ner") or [])
    return counts


def _score(clauses: list[Clause], record: dict, settings: Settings) -> None:
    """Salience × position prior × (1 + title overlap + entity bonus), written into each clause."""
    config = settings.config
    document_counts: Counter = Counter()
    for clause in clauses:
        document_counts.update(clause.terms.keys())
    weight = {
        term: (count - 1 + config["self_weight"]) * settings.idf.get(term, settings.default_idf)
        for term, count in document_counts.items()
    }
    title = _title(record)
    title_terms = _terms(title, [(0, len(title))])
    entities = _entity_mentions(record)
    text = record["text"]
    for clause in clauses:
        salience = sum(weight[term] for term in clause.terms) / max(clause.length, 1) ** config["length_power"]
        title_overlap = _cosine(clause.terms, title_terms)
        clause_text = "".join(text[b:e] for b, e in clause.spans)
        named = sum(count for name, count in entities.items() if name and name in clause_text)
        entity_bonus = math.log1p(named) / 4  # not tuned: LCSTS records carry no entities
        position = 1.0 / (1.0 + config["position_decay"] * clause.index)
        clause.score = salience * position * (1.0 + title_overlap + entity_bonus)


def _select(clauses: list[Clause], budget: int, fill: float, config: dict) -> list[Clause]:
    """Greedy MMR: the clause with the best score-minus-redundancy that still fits, until
    none fits or, once ``fill`` characters are used, the best gain falls under ``min_gain``
    (a short summary beats filler)."""
    top = max((c.score for c in clauses), default=1.0) or 1.0
    chosen: list[Clause] = []
    used = 0

    def gain(clause: Clause) -> float:
        overlap = max((_cosine(clause.terms, c.terms) for c in chosen), default=0.0)
        return clause.score / top - config["mmr_redundancy"] * overlap

    remaining = list(clauses)
    while True:
        fitting = [c for c in remaining if used + c.length <= budget]
        if not fitting:
            break
        best = max(fitting, key=gain)
        if used >= fill and gain(best) < config["min_gain"]:
            break
        chosen.append(best)
        used += best.length
        remaining.remove(best)
    return chosen


def _stance_pieces(record: dict, config: dict, budget: int) -> list[tuple[int, int, bool]]:
    """For each stance label, the strongest statement with a known holder (then without)
    that fits an equal share of the budget, so a long warning cannot crowd out the
    dismissal: ``(begin, end, is_holder_name)`` pieces from ``_condense``."""
    title = _title(record)
    statements = (record.get("stance") or {}).get("sentences") or []
    labels = config["stance_labels"]
    share = budget // max(len(labels), 1)
    pieces = []
    for label in labels:
        candidates = [s for s in statements if s.get("stance") == label and s["text"].strip(" #") != title]
        candidates.sort(key=lambda s: (not s.get("holder"), -abs(s.get("score") or 0) * (s.get("confidence") or 1)))
        for statement in candidates:
            condensed = _condense(record, statement)
            if condensed and sum(e - b + is_holder for b, e, is_holder in condensed) <= share:
                pieces += condensed
                break
    return pieces


def _condense(record: dict, statement: dict) -> list[tuple[int, int, bool]]:
    """A stance statement cut down to its clauses naming the holder or holding the cue
    (compressed like any clause); when the sentence does not name the holder, the holder's
    nearest earlier mention comes first, as a holder piece."""
    text = record["text"]
    begin, end, holder, cue = statement["begin"], statement["end"], statement.get("holder"), statement.get("cue")
    mentions = _holder_mentions(record, holder) if holder else []
    inside = [m for m in mentions if begin <= m[0] and m[1] <= end]
    anchors = inside[:1] + ([(cue[1], cue[2])] if cue else [])
    clauses = _clause_spans(text, begin, end)
    kept = [c for c in clauses if any(c[0] <= a[0] < c[1] for a in anchors)] if anchors else clauses
    pieces = [(b, e, False) for clause in kept for b, e in _compress(text, *clause)]
    if pieces and holder and not inside:
        earlier = [m for m in mentions if m[1] <= begin]
        mention = earlier[-1] if earlier else (mentions[0] if mentions else None)
        if mention:
            pieces.insert(0, (*mention, True))
    return pieces


def _holder_mentions(record: dict, holder: str) -> list[tuple[int, int]]:
    """Spans naming the holder: the mentions of the entity so named, else literal matches."""
    for entity in record.get("entities") or []:
        if holder == entity.get("name") or holder in (entity.get("aliases") or []):
            return sorted((b, e) for b, e in entity.get("mentions", []))
    text = record["text"]
    return [(m.start(), m.end()) for m in re.finditer(re.escape(holder), text)]


def _cut(spans: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """The first ``budget`` characters of a clause's spans."""
    kept = []
    for begin, end in spans:
        if budget <= 0:
            break
        kept.append((begin, min(end, begin + budget)))
        budget -= end - begin
    return kept


def summarize(record: dict, settings: Settings, budget: int | None = None) -> dict:
    """The ``summary`` layer for one record."""
    config = settings.config
    budget = config["budget_chars"] if budget is None else budget
    text = record["text"]
    clauses = _clauses(record, config["min_clause_chars"])
    _score(clauses, record, settings)

    pieces = _stance_pieces(record, config, budget) if config["stance_aware"] else []
    used = sum(e - b + is_holder for b, e, is_holder in pieces)
    statements = [(b, e) for b, e, is_holder in pieces if not is_holder]
    free = [c for c in clauses if not any(cb < e and b < ce for cb, ce in c.spans for b, e in statements)]
    best = max(free, key=lambda c: c.score, default=None)
    if best is not None and not pieces and best.length > budget:
        # the most salient clause cut at the budget beats a weaker clause that fits whole
        # (LCSTS rows 0-499, R-L: 0.2105 → 0.2177 at 30 characters, 0.1836 → 0.2061 at 20)
        pieces = [(b, e, False) for b, e in _cut(best.spans, budget)]
    else:
        fill = min(budget, config["fill_ratio"] * len(text)) - used
        chosen = _select(free, budget - used, fill, config)
        pieces += [(b, e, False) for clause in chosen for b, e in clause.spans]
    # a holder already named inside a picked clause needs no piece of its own
    pieces = [(b, e, is_holder) for b, e, is_holder in pieces
              if not (is_holder and any(pb <= b and e <= pe for pb, pe, other in pieces if not other))]
    if not pieces and text.strip():  # no clause worth keeping: the first sentence, cut
        begin, end = (record.get("sentences") or split_sentences(text))[0]
        pieces.append((begin, min(end, begin + budget), False))

    pieces.sort(key=lambda piece: (piece[0], -piece[1]))
    rendered = "".join(text[b:e] + ("：" if is_holder else "") for b, e, is_holder in pieces)
    return {
        "sentences": [[text[b:e], b, e] for b, e, _ in pieces],
        "text": rendered.rstrip(TRAILING_PUNCT),
        "budget_chars": budget,
        "method": VERSION,
    }


def predict(records: list[dict], model: Settings) -> list[dict]:
    """The ``summary`` layer of each record."""
    return [summarize(record, model) for record in records]


def set_annotations(records: list[dict], summaries: list[dict]) -> None:
    for record, summary in zip(records, summaries):
        record["summary"] = summary
