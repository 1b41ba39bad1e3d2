"""Second NER pass over whole pages: more candidate names, one learned decision per candidate.

The CRF + gazetteer stage (:mod:`pipeline.components.ner`) misses many names of today's news
(Latin-script people such as ``Dario Amodei``, web-era companies such as 零一万物) and
reports forms a page would not list (a bare 中国 used as an adjective, 美国科技). This pass

1. collects **candidates** in the page's :func:`~pipeline.components.ner.tagging_copy`
   (so traditional script is read simplified, offsets unchanged):
   the stage's own mentions; every capitalised Latin word sequence (``Susan Rice``,
   ``Google Brain``, ``IAEA``); and every occurrence of a **page-lexicon** form: the
   PER/ORG/LOC forms listed for the training pages of ``eval/ai_stance/train_docs.jsonl``;
2. describes each candidate by features (where it came from, the stage's type, the form's
   shape, first/last characters, the characters around it, an enclosing 《》 title, a
   parenthesis right after a mention of some type, and the page-lexicon statistics of the
   form: on how many training pages it occurs and on what share of them it is listed, per
   type);
3. scores it with a multinomial logistic regression (O/PER/ORG/LOC) trained on the
   candidates of the training pages labelled from their lists
   (``python -m pipeline.train.ner_rescore``, document-grouped cross-validation);
4. keeps candidates whose best entity type beats O, best first, none overlapping.

Runtime needs only numpy: the model is a JSON file of feature names and weights
(``models/ner/rescore.json``) plus the page lexicon statistics it was trained with.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The stage's text forms and its limits on a statistical span (no URLs, markup, lists).
from pipeline.components.ner_text import _LETTER, _NOT_IN_NAMES, name_key, tagging_copy
from pipeline.record.text import is_han

TYPES = ("PER", "ORG", "LOC")
LABELS = ("O",) + TYPES
# A run of capitalised Latin words (and acronyms, CamelCase, digits inside: G42, a16z is
# lower-case and left to the lexicon), joined by one space, a middle dot or "&".
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9'’.\-]*[A-Za-z0-9]?"
                         r"(?:(?: |·| & |, )[A-Z][A-Za-z0-9'’.\-]*[A-Za-z0-9]?){0,4}(?![A-Za-z0-9])")
_TITLE = re.compile(r"《([^《》\n]{1,40})》")
_OPEN_PAREN = "(（"
_CAMEL = re.compile(r"[a-z][A-Z]")  # LinkedIn, DoorDash: companies more than people


def match_copy(plain: str) -> str:
    """The lower-cased tagging copy page-lexicon forms are looked up in (same length)."""
    lowered = plain.lower()
    return lowered if len(lowered) == len(plain) else plain


def form_key(form: str) -> str:
    """A gold or candidate form as looked up in the page lexicon."""
    return match_copy(tagging_copy(form.strip()))


def _is_word(c: str) -> bool:
    return c.isascii() and c.isalnum()


def find_forms(copy: str, prefixes: set[str], keys) -> list[tuple[int, int, str]]:
    """Every (begin, end, key) where a page-lexicon key occurs in ``copy`` and does not cut a
    Latin word."""
    out, n = [], len(copy)
    for i in [i for i, ch in enumerate(copy) if ch in prefixes]:  # single characters are prefixes too
        if i and _is_word(copy[i - 1]) and _is_word(copy[i]):
            continue
        j = i + 1
        while j <= n and copy[i:j] in prefixes:
            key = copy[i:j]
            if key in keys and not (j < n and _is_word(copy[j - 1]) and _is_word(copy[j])):
                out.append((i, j, key))
            j += 1
    return out


@dataclass
class PageLexicon:
    """Per form key: on how many pages the form occurs, and on how many it is listed as each type."""

    occurs: Counter
    listed: dict  # type -> Counter

    @classmethod
    def build(cls, pages: list[dict]) -> "PageLexicon":
        listed = {t: Counter() for t in TYPES}
        for page in pages:
            for t in TYPES:
                for key in {form_key(f) for f in page["entities"][t]}:
                    if len(key) >= 2:
                        listed[t][key] += 1
        lexicon = cls(Counter(), listed)
        for page in pages:
            lexicon.occurs.update(lexicon.page_keys(page["text"]))
        return lexicon

    @property
    def keys(self) -> set[str]:
        return {k for c in self.listed.values() for k in c}

    def prepared(self):
        keys = self.keys
        return keys, {k[:i] for k in keys for i in range(1, len(k) + 1)}

    def page_keys(self, text: str, prepared=None) -> set[str]:
        keys, prefixes = prepared or self.prepared()
        return {k for _, _, k in find_forms(match_copy(tagging_copy(text)), prefixes, keys)}

    def without(self, page: dict) -> "PageLexicon":
        """The statistics as if ``page`` were not among the training pages (leave one out)."""
        occurs = self.occurs.copy()
        occurs.subtract(self.page_keys(page["text"]))
        listed = {t: c.copy() for t, c in self.listed.items()}
        for t in TYPES:
            listed[t].subtract({form_key(f) for f in page["entities"][t] if len(form_key(f)) >= 2})
        return PageLexicon(+occurs, {t: +c for t, c in listed.items()})

    def to_json(self) -> dict:
        keys = sorted(self.keys)
        return {"keys": keys, "occurs": [self.occurs[k] for k in keys],
                "listed": {t: [self.listed[t][k] for k in keys] for t in TYPES}}

    @classmethod
    def from_json(cls, spec: dict) -> "PageLexicon":
        keys = spec["keys"]
        return cls(Counter(dict(zip(keys, spec["occurs"]))),
                   {t: +Counter(dict(zip(keys, spec["listed"][t]))) for t in TYPES})


def _bin(x: float) -> str:
    return "0" if x <= 0 else "1" if x < 0.2 else "2" if x < 0.5 else "3" if x < 0.8 else "4"


# Types of the CRF's name lexicon (People's Daily, jieba, training names) whose words are
# candidates too; "W" (any other word) is not.
NAME_WORD_TYPES = frozenset({"PER", "ORG", "LOC", "jPER", "jORG", "jLOC", "jNZ"})


def name_words(plain: str, words: dict, prefixes: set) -> list[tuple[int, int]]:
    """Every occurrence of a name-lexicon word (see NAME_WORD_TYPES) not cutting a Latin word."""
    out, n = [], len(plain)
    for i in range(n):
        if i and _is_word(plain[i - 1]) and _is_word(plain[i]):
            continue
        j = i + 1
        while j <= n and plain[i:j] in prefixes:
            if NAME_WORD_TYPES.intersection(words.get(plain[i:j], ())) and \
                    not (j < n and _is_word(plain[j - 1]) and _is_word(plain[j])):
                out.append((i, j))
            j += 1
    return out


def organisation_endings(words: dict, min_count: int = 10) -> frozenset[str]:
    """Two-character endings of at least ``min_count`` organisation names of the CRF lexicon
    (公司, 大学, 政府, 议会 …): learned from its training names, they let a candidate grow
    into the organisation it starts (加州 → 加州议会, 小米 → 小米集团)."""
    counts = Counter(w[-2:] for w, t in words.items() if len(w) >= 3 and {"ORG", "jORG"} & set(t))
    return frozenset(e for e, n in counts.items() if n >= min_count and all(is_han(c) for c in e))


def candidates(text: str, spans, lexicon: PageLexicon, prepared=None, word_lexicon=None, endings=frozenset(),
               longest_extension: int = 6, uncertain=(), plain: str | None = None) -> dict:
    """(begin, end) -> {"stage": type or None, "latin", "lexicon", "word": bool} for one page;
    ``word_lexicon`` is the CRF's :class:`~pipeline.components.ner.Lexicon` (its name words
    become candidates) or None."""
    plain = plain if plain is not None else tagging_copy(text)
    out: dict[tuple[int, int], dict] = {}

    def add(b, e, **flag):
        out.setdefault((b, e), {"stage": None, "latin": False, "lexicon": False, "word": False}).update(flag)

    for kind, b, e in spans:
        add(b, e, stage=kind)
    for b, e in uncertain:  # runs the CRF was unsure about (statistical_spans)
        if _LETTER.search(plain[b:e]) and not _NOT_IN_NAMES.search(plain[b:e]):
            add(b, e, uncertain=True)
    for m in _LATIN_NAME.finditer(plain):
        b, e = m.span()
        if e - b >= 2:
            add(b, e, latin=True)
        # 柯維立(James Cleverly): the Han run right before a parenthesised Latin name is
        # likely its transliteration; its last 2..5 characters are candidates.
        if b >= 2 and plain[b - 1] in _OPEN_PAREN and plain[e:e + 1] in ")）":
            for k in range(2, 6):
                if b - 1 - k < 0 or not all(is_han(ch) for ch in plain[b - 1 - k:b - 1]):
                    break
                add(b - 1 - k, b - 1, gloss=True)
    keys, prefixes = prepared or lexicon.prepared()
    for b, e, _ in find_forms(match_copy(plain), prefixes, keys):
        add(b, e, lexicon=True)
    if word_lexicon is not None:
        for b, e in name_words(plain, word_lexicon.words, word_lexicon.prefixes):
            add(b, e, word=True)
    if endings:
        for b, e in list(out):
            for j in range(e + 2, min(len(plain), e + longest_extension) + 1):
                if not is_han(plain[j - 1]):
                    break
                if plain[j - 2:j] in endings and (b, j) not in out:
                    add(b, j, extended=True)
    return out


def _sure(p: float) -> str:
    """A bin of the CRF's P(O) for a character."""
    return "0" if p < 0.05 else "1" if p < 0.3 else "2" if p < 0.7 else "3" if p < 0.95 else "4"


def features(text: str, plain: str, cands: dict, lexicon: PageLexicon, words: dict, gazetteer: dict,
             outside: list | None = None) -> list[dict]:
    """One feature dict per candidate, in the order of ``cands``; with ``outside`` (the CRF's
    P(O) per character, :func:`pipeline.components.ner.statistical_spans`), also how sure the
    CRF was inside the candidate and at its edges."""
    titles = [m.span(1) for m in _TITLE.finditer(plain)]
    stage_ends = {e: c["stage"] for (b, e), c in cands.items() if c["stage"]}
    copy = match_copy(plain)
    counts = Counter(copy[b:e] for b, e in cands)
    rows = []
    for (b, e), c in cands.items():
        form, key = plain[b:e], copy[b:e]
        f = {"bias": 1.0, "stage=" + str(c["stage"]): 1.0}
        if c["latin"]:
            f["latin_run"] = 1.0
        if c["lexicon"]:
            f["in_page_lexicon"] = 1.0
        if c.get("word"):
            f["name_word"] = 1.0
        if c.get("extended"):
            f["extended"] = 1.0
        if c.get("uncertain"):
            f["crf_unsure"] = 1.0
        if c.get("gloss"):
            f["before_latin_gloss"] = 1.0
            f["before_latin_gloss&len=" + str(e - b)] = 1.0
        if name_key(form) in gazetteer:
            f["gaz=" + gazetteer[name_key(form)][1]] = 1.0
        occurs = lexicon.occurs.get(key, 0)
        f["occ=" + ("0" if not occurs else "1" if occurs == 1 else "2" if occurs < 4 else "4")] = 1.0
        for t in TYPES:
            share = lexicon.listed[t].get(key, 0) / occurs if occurs else 0.0
            f["share_" + t] = share
            f["share_" + t + "=" + _bin(share)] = 1.0
            f["stage=" + str(c["stage"]) + "&share_" + t + "=" + _bin(share)] = 1.0
        left, right = plain[max(0, b - 2):b], plain[e:e + 2]
        f["len=" + str(min(e - b, 8))] = 1.0
        if form.isascii():
            f["ascii"] = 1.0
            word_count = "words=" + str(min(form.count(" ") + 1, 4))
            shape = "upper" if form.isupper() else "camel" if _CAMEL.search(form) else \
                "cap" if form[0].isupper() else "lower"
            f[word_count] = f[shape] = 1.0
            f["stage=" + str(c["stage"]) + "&" + word_count + "&" + shape] = 1.0
            if left[-1:] and left[-1] in _OPEN_PAREN and right[:1] in ")）":
                f["latin_in_parentheses"] = 1.0
                if b >= 2 and is_han(plain[b - 2]):
                    f["latin_gloss_of_han"] = 1.0
        elif any(ch.isascii() and ch.isalpha() for ch in form):
            f["mixed"] = 1.0
        if "·" in form:
            f["dot"] = 1.0
        f["first=" + form[0]] = 1.0
        f["last=" + form[-1]] = 1.0
        f["last2=" + form[-2:]] = 1.0
        f["l1=" + left[-1:]] = 1.0
        f["r1=" + right[:1]] = 1.0
        f["l2=" + left] = 1.0
        f["r2=" + right] = 1.0
        for t in words.get(form, ()):
            f["lex=" + t] = 1.0
        for tb, te in titles:
            if tb <= b and e <= te:
                f["title_whole" if (tb, te) == (b, e) else "title_inside"] = 1.0
        if left[-1:] and left[-1] in _OPEN_PAREN:
            before = stage_ends.get(b - 1)
            f["after_paren_mention=" + str(before)] = 1.0
        f["page_count=" + str(min(counts[key], 3))] = 1.0
        if outside is not None:
            inside = _sure(min(outside[b:e]))
            edges = _sure(outside[b - 1] if b else 1.0) + _sure(outside[e] if e < len(outside) else 1.0)
            f["po_in=" + inside] = f["po_edges=" + edges] = 1.0
            f["stage=" + str(c["stage"]) + "&po_in=" + inside] = 1.0
            f["po_in=" + inside + "&po_edges=" + edges] = 1.0

        rows.append(f)
    return rows


def protected_spans(text: str, cands: dict, lexicon: PageLexicon, min_pages: int, keep_single: bool = False,
                    plain: str | None = None) -> dict:
    """The stage's mentions the rescorer may not drop: forms seen on fewer than ``min_pages``
    training pages (0 protects none), and with ``keep_single`` one-character mentions
    (中 in 中美), which page lists never hold but sentence-level NER tags: where the page
    lists are silent, the stage keeps its sentence-level conventions."""
    if not (min_pages or keep_single):
        return {}
    copy = match_copy(plain if plain is not None else tagging_copy(text))
    return {(b, e): c["stage"] for (b, e), c in cands.items()
            if c["stage"] and ((keep_single and e - b == 1) or lexicon.occurs.get(copy[b:e], 0) < min_pages)}


def decode(cands: list[tuple[int, int]], probs: np.ndarray, threshold: float = 0.5,
           longer_first: bool = False, protected: dict | None = None) -> list[tuple[str, int, int]]:
    """The ``protected`` spans with their types, then candidates whose best entity type has
    probability > ``threshold`` of (it + O), best (or, ``longer_first``, longest) first,
    none overlapping what is taken; sorted by offset."""
    protected = protected or {}
    chosen = [(kind, b, e) for (b, e), kind in protected.items()]
    taken = list(protected)
    order = []
    for (b, e), p in zip(cands, probs):
        k = int(np.argmax(p[1:])) + 1
        score = p[k] / (p[k] + p[0])
        if score > threshold and (b, e) not in protected:
            order.append((-(e - b), -score, b, e, LABELS[k]) if longer_first else (-score, -(e - b), b, e, LABELS[k]))
    for _, _, b, e, kind in sorted(order):  # the first two fields only order
        if all(e <= tb or te <= b for tb, te in taken):
            taken.append((b, e))
            chosen.append((kind, b, e))
    return sorted(chosen, key=lambda s: (s[1], s[2]))


def pair_glosses(chosen, cands: dict, probs: np.ndarray, plain: str) -> list[tuple[str, int, int]]:
    """A kept Latin name in parentheses (``(James Cleverly)``) lends its type to the Han
    transliteration right before it: of the gloss candidates ending at the parenthesis
    (柯維立, 維立 …), the one most probable for that type is added when it overlaps
    nothing kept."""
    index = {span: i for i, span in enumerate(cands)}
    out = list(chosen)
    for kind, b, e in chosen:
        if b < 1 or plain[b - 1] not in _OPEN_PAREN or plain[e:e + 1] not in ")）" or not plain[b:e].isascii():
            continue
        glosses = [(gb, ge) for (gb, ge), c in cands.items() if c.get("gloss") and ge == b - 1]
        if not glosses or any(t < b - 1 and b - 1 <= te for _, t, te in out) or \
                any(ke == b - 1 for _, _, ke in out):
            continue
        k = LABELS.index(kind)
        gb, ge = max(glosses, key=lambda g: probs[index[g]][k])
        if all(ge <= tb or te <= gb for _, tb, te in out):
            out.append((kind, gb, ge))
    return sorted(out, key=lambda s: (s[1], s[2]))


@dataclass
class Rescorer:
    names: dict          # feature name -> column
    weights: np.ndarray  # (features, labels)
    lexicon: PageLexicon
    threshold: float
    prepared: tuple = ()
    name_words: bool = False  # the CRF lexicon's name words are candidates
    longer_first: bool = True  # decode: of overlapping kept candidates, the longer wins
    extend: bool = False  # candidates grow into organisation endings (organisation_endings)
    min_pages: int = 0  # see protected_spans
    keep_single: bool = False  # see protected_spans
    glosses: bool = True  # see pair_glosses
    uncertain_below: float = 0.0  # >0: runs with P(O) below it are candidates (ner.statistical_spans)
    confidence: bool = False  # the CRF's P(O) per character is a feature (see features)
    _endings: frozenset | None = None

    @classmethod
    def read(cls, path: Path) -> "Rescorer":
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        lexicon = PageLexicon.from_json(spec["page_lexicon"])
        return cls({n: i for i, n in enumerate(spec["features"])}, np.asarray(spec["weights"], dtype=np.float64),
                   lexicon, spec["threshold"], lexicon.prepared(), spec["params"]["name_words"],
                   spec["params"]["longer_first"], spec["params"]["extend"], spec["params"]["min_pages"],
                   spec["params"]["keep_single"], spec["params"]["glosses"],
                   spec["params"]["uncertain_below"], spec["params"].get("confidence", False))

    def probabilities(self, rows: list[dict]) -> np.ndarray:
        # Sparse rows: each row's score is the weighted sum of the weight rows of its features.
        starts, columns, values = [], [], []
        for row in rows:
            starts.append(len(columns))
            for name, value in row.items():
                j = self.names.get(name)
                if j is not None and value:
                    columns.append(j)
                    values.append(value)
            if len(columns) == starts[-1]:  # no known feature: a zero term keeps the row
                columns.append(0)
                values.append(0.0)
        if not rows:
            return np.zeros((0, self.weights.shape[1]))
        terms = np.asarray(values)[:, None] * self.weights[columns]
        z = np.add.reduceat(terms, np.asarray(starts, dtype=np.intp), axis=0)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def apply(self, text: str, spans, word_lexicon, gazetteer: dict, uncertain=(),
              outside: list | None = None) -> list[tuple[str, int, int]]:
        if self.extend and self._endings is None:
            self._endings = organisation_endings(word_lexicon.words)
        plain = tagging_copy(text)
        cands = candidates(text, spans, self.lexicon, self.prepared, word_lexicon if self.name_words else None,
                           self._endings or frozenset(), uncertain=uncertain or (), plain=plain)
        if not cands:
            return []
        rows = features(text, plain, cands, self.lexicon, word_lexicon.words, gazetteer,
                        outside if self.confidence else None)
        probs = self.probabilities(rows)
        chosen = decode(list(cands), probs, self.threshold, self.longer_first,
                        protected_spans(text, cands, self.lexicon, self.min_pages, self.keep_single, plain))
        return pair_glosses(chosen, cands, probs, plain) if self.glosses else chosen
