"""Page structure: give every line of a page a role (title, meta, furniture, body).

Scraped pages carry a headline, bylines and datelines, and page furniture (navigation,
share buttons, notices, related links, captions, counters, spam) around the article. A
linear-chain CRF over the page's non-blank lines (``pipeline.train.page_roles`` trains it
from ``train_docs.jsonl``) labels each line from generic features of the line and its
neighbours: length, end punctuation, script shares, position, date/time shapes,
separators, and the characters at its start and end (so the vocabulary of furniture
such as 分享 or 阅读 is learnt from the training pages, not listed here), and the P(role)
a lexical line model (``line_lexicon``: character n-grams anywhere in the line) gives it.

``predict_roles`` labels lines; ``split_page`` turns lines and roles into what cleaning
keeps (body), what goes to ``meta`` (title, author, date, source) and what is dropped,
with the reason for ``repairs``. Dropping body text is worse than keeping clutter, so a
line is taken out of the body only when the model's marginal probability that it is body
stays under ``config["body_floor"]`` (``config["body_floor_long"]`` for lines of several
sentences; both chosen by cross-validation).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from pipeline.components.clean import line_patterns
from pipeline.components.clean.line_lexicon import LineLexicon
from pipeline.components.clean.title_choice import TitleChooser
from pipeline.record.text import normalise

ROLES = ("title", "meta", "furniture", "body")
DEFAULT_MODEL = Path(__file__).resolve().parents[3] / "models" / "page_roles"

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]")
_DIGIT = re.compile(r"[0-9０-９]")
_DATE = re.compile(r"(19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_SHORT_DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}[-/]\d{1,2}\b")
_TIME = re.compile(r"\b\d{1,2}:\d\d(:\d\d)?\b")
_URL = re.compile(r"https?://|www\.|\.(com|cn|net|org)\b", re.I)
_TRAILING_BRACKET = re.compile(r"[(（]([^()（）]{1,30})[)）]\s*$")
_SPACE_RUN = re.compile(r"\s+")
_FIELD = re.compile(r"^\s*[\u4e00-\u9fff]{1,6}\s*[:：]")  # 来源： / 作者： style label
_SEPARATORS = "|｜丨/·•>»›-_—"
_SENTENCE_END = "。！？!?…"
_CLOSERS = "”’」』）)】》\"'"


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    return sum(value >= edge for edge in edges)


def _end_class(text: str) -> str:
    stripped = text.rstrip(_CLOSERS + " ")
    if not stripped:
        return "none"
    last = stripped[-1]
    if last in _SENTENCE_END:
        return "sent"
    if last in "，,、；;：:":
        return "comma"
    if last.isdigit():
        return "digit"
    if _HAN.match(last):
        return "han"
    if last.isalpha():
        return "latin"
    return "other"


def line_features(text: str, pairs_up_to: int = 40) -> dict[str, float]:
    """Features of one line on its own (no position, no neighbours). Characters are read
    simplified and half-width, so traditional pages share what simplified ones teach.
    (Folding full-width punctuation too, by NFKC, scored lower by CV: furniture removed
    0.812 against 0.827.)"""
    line = normalise(text.strip())
    n = len(line)
    visible = max(1, len(re.sub(r"\s", "", line)))
    han, latin, digit = (len(p.findall(line)) / visible for p in (_HAN, _LATIN, _DIGIT))
    f: dict[str, float] = {
        "bias": 1.0,
        f"len={_bucket(n, (2, 4, 8, 12, 20, 30, 45, 70, 120, 250))}": 1.0,
        "loglen": math.log1p(n) / 6,
        f"end={_end_class(line)}": 1.0,
        f"han={_bucket(han, (0.2, 0.5, 0.8, 0.95))}": 1.0,
        f"latin={_bucket(latin, (0.05, 0.3, 0.6))}": 1.0,
        f"digit={_bucket(digit, (0.05, 0.2, 0.5))}": 1.0,
        f"sents={min(sum(line.count(c) for c in '。！？!?'), 4)}": 1.0,
        f"commas={min(line.count('，') + line.count(','), 4)}": 1.0,
        f"spaces={min(len(_SPACE_RUN.findall(line)), 5)}": 1.0,
        f"seps={min(sum(line.count(c) for c in _SEPARATORS), 4)}": 1.0,
    }
    if _DATE.search(line):
        f["date"] = 1.0
    if _SHORT_DATE.search(line):
        f["short_date"] = 1.0
    if _TIME.search(line):
        f["time"] = 1.0
    if _URL.search(line):
        f["url"] = 1.0
    if _FIELD.match(line):
        f["field_label"] = 1.0
    if line[:1] in "【[《(（“\"#*":
        f[f"opens={line[:1]}"] = 1.0
    # Start and end characters: the model learns which words open or close furniture.
    # Digits read as 0, so 图1 and 图2, 阅读:2 and 阅读:15 are one feature.
    shape = _DIGIT.sub("0", line)
    for k in (1, 2, 3):
        if n >= k:
            f[f"pre{k}={shape[:k]}"] = 1.0
            f[f"suf{k}={shape[-k:]}"] = 1.0
    if line:
        f[f"first_cat={unicodedata.category(line[0])}"] = 1.0
        f[f"last_cat={unicodedata.category(line[-1])}"] = 1.0
    bracketed = _TRAILING_BRACKET.search(line)
    if bracketed:  # (资料图片), (图/美联社): what credits and captions end with
        f["ends_bracketed"] = 1.0
        inner = bracketed.group(1)
        for i in range(len(inner) - 1):
            f[f"br_bi={inner[i:i + 2]}"] = 1.0
    if n <= pairs_up_to:  # short lines: their character pairs say what they are (分享, 阅读, 责编)
        for i in range(n - 1):
            f[f"bi={line[i:i + 2]}"] = 1.0
    return f


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _extends_other(position: int, texts: list[str], counts: Counter) -> dict[str, float]:
    """A line that starts with another whole line and adds a little (headline + 图1, a
    repeated headline with its date): a copy of a line printed elsewhere on the page."""
    text = texts[position]
    for other in texts[max(0, position - 20): position + 20]:
        if 6 <= len(other) < len(text) and text.startswith(other) and len(text) - len(other) <= 20:
            return {"extends_other": 1.0}
    return {}


def _recurrence(position: int, texts: list[str], counts: Counter) -> dict[str, float]:
    """How often the line occurs on the page, and whether this is its first occurrence
    (a headline printed twice keeps its first copy; a notice printed twice is furniture)."""
    text, n = texts[position], counts[texts[position]]
    if n <= 1:
        return {}
    first = texts.index(text) == position
    return {f"recurs={min(n, 3)}": 1.0, "recurs_first" if first else "recurs_later": 1.0}


_MENU_PUNCTUATION = {"Po", "Pd", "Pc", "Sm", "Sc", "Sk", "So"}  # not Ps/Pe/Pi/Pf: brackets and quotes


def _punctuation(position: int, texts: list[str], counts: Counter) -> dict[str, float]:
    """Share of punctuation and symbols: menus, counters and separators are dense in them.
    Markdown markup (**bold**, > quotes, list marks) is not counted, nor are quotation marks
    and brackets: exports are full of the one, quoted speech of the other."""
    text = line_patterns.MARKUP.sub("", line_patterns.IMAGE.sub("", texts[position]))
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return {}
    punct = sum(unicodedata.category(c) in _MENU_PUNCTUATION for c in visible) / len(visible)
    return {f"punct={_bucket(punct, (0.02, 0.06, 0.12, 0.25))}": 1.0}


def _headline_shape(position: int, texts: list[str], counts: Counter) -> dict[str, float]:
    """Is this the longest line without a sentence end among the page's first lines (a
    headline is the page's longest short line before the article)?"""
    head = [(len(t), p) for p, t in enumerate(texts[:8]) if 8 <= len(t) <= 60]
    if head and max(head)[1] == position:
        return {"longest_head_line": 1.0}
    return {}


EXTRAS = {"extends_other": _extends_other, "recurrence": _recurrence, "punctuation": _punctuation,
          "headline_shape": _headline_shape}

# Feature settings; a model's config.json names the ones it was trained with.
FEATURES = {"pairs_up_to": 40, "neighbour_offsets": [-1, 1, -2, 2],
            "neighbour_kinds": ["len=", "end=", "han=", "digit=", "date", "time", "field_label", "seps="]}


LEXICAL_EDGES = (0.1, 0.3, 0.5, 0.7, 0.9)


def lexical_features(probabilities: dict[str, float], tag: str = "lex") -> dict[str, float]:
    """A lexical line model's P(role) (``line_lexicon``) as CRF features: the value and its bucket."""
    f = {}
    for role, p in probabilities.items():
        f[f"{tag}_{role}"] = p
        f[f"{tag}_{role}={_bucket(p, LEXICAL_EDGES)}"] = 1.0
    return f


def page_features(lines: list[str], options: dict | None = None,
                  lexical: list[dict[str, float]] | None = None) -> list[dict[str, float]]:
    """Features of each non-blank line in its page: its own, its position, its neighbours,
    how often it recurs, and how much of it the page's long paragraphs share (a headline
    repeats the article's words; a related-links list does not). ``lexical``: a lexical
    line model's P(role) of each non-blank line (``line_lexicon``), when the model has one."""
    options = {**FEATURES, **(options or {})}
    kinds = tuple(options["neighbour_kinds"])
    kept = [i for i, line in enumerate(lines) if line.strip()]
    own = [line_features(lines[i], options["pairs_up_to"]) for i in kept]
    total = len(kept)
    texts = [normalise(lines[i].strip()) for i in kept]
    first = texts[0] if texts else ""
    counts = Counter(texts)
    long_pairs = [(_pairs(t) if len(t) >= 60 else set()) for t in texts]
    all_long: Counter = Counter()
    for pairs in long_pairs:
        all_long.update(pairs)
    # The article proper runs from the first to the last paragraph-like line; what lies
    # before it (headline, byline, navigation) and after it (credits, related links) differs.
    paragraph_like = [p for p, t in enumerate(texts) if len(t) >= 40 and _end_class(t) == "sent"]
    first_paragraph = paragraph_like[0] if paragraph_like else total
    last_paragraph = paragraph_like[-1] if paragraph_like else -1
    seen_starts: set[str] = set()  # first 8 characters of the lines so far
    result = []
    for position, i in enumerate(kept):
        f = dict(own[position])
        start = texts[position][:8]
        if len(start) == 8:
            if start in seen_starts:  # a line opening like an earlier one: teaser, caption, repeat
                f["echo"] = 1.0
            seen_starts.add(start)
        if position < first_paragraph:
            f["before_article"] = 1.0
            f[f"to_article={min(first_paragraph - position, 5)}"] = 1.0
        elif position > last_paragraph:
            f["after_article"] = 1.0
            f[f"past_article={min(position - last_paragraph, 5)}"] = 1.0
        f[f"pos={min(position, 6)}"] = 1.0
        f[f"from_end={min(total - 1 - position, 6)}"] = 1.0
        f[f"rel={int(10 * position / max(1, total))}"] = 1.0
        f["rel"] = position / max(1, total)
        text = texts[position]
        if position and text == first:
            f["repeats_first"] = 1.0
        if counts[text] > 1:
            f["recurs"] = 1.0
        own_pairs = _pairs(text)
        if own_pairs:
            # Pairs found in other long paragraphs (a paragraph's own pairs do not count).
            shared = sum(all_long[p] - (p in long_pairs[position]) > 0 for p in own_pairs) / len(own_pairs)
            f[f"body_overlap={_bucket(shared, (0.2, 0.4, 0.6, 0.8))}"] = 1.0
        # A line that is the start of another line (a truncated teaser of the body).
        if len(text) >= 8 and any(o != text and o.startswith(text.rstrip("…."))
                                  for o in texts[max(0, position - 20): position + 20]):
            f["prefix_of_other"] = 1.0
        if i == 0 or not lines[i - 1].strip():
            f["blank_before"] = 1.0
        if i + 1 >= len(lines) or not lines[i + 1].strip():
            f["blank_after"] = 1.0
        for name in options.get("extras", ()):
            f.update(EXTRAS[name](position, texts, counts))
        if lexical is not None:
            f.update(lexical_features(lexical[position]))
            for offset in options.get("lexical_neighbours", ()):
                other = position + offset
                if 0 <= other < total:
                    f.update(lexical_features(lexical[other], f"n{offset:+d}:lex"))
        for offset in options["neighbour_offsets"]:
            other, tag = position + offset, f"n{offset:+d}"
            if 0 <= other < total:
                for name in own[other]:
                    if kinds and name.startswith(kinds):
                        f[f"{tag}:{name}"] = 1.0
            else:
                f[f"{tag}:none"] = 1.0
        result.append(f)
    return result


# ---------------------------------------------------------------- the trained model


class PageRoleModel:
    """A trained CRF plus its decision settings (``config.json``)."""

    def __init__(self, model_file: str | Path, config: dict, title_chooser: "TitleChooser | None" = None,
                 lexicon: "LineLexicon | None" = None):
        import pycrfsuite

        self.config = config
        self.lexicon = lexicon  # the lexical line model whose P(role) the CRF reads, if trained with one
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model_file))
        self.title_chooser = title_chooser  # second pass over the headline candidates, if trained

    def read_page(self, lines: list[str]) -> tuple[list[str], list[dict[str, float]], list[dict[str, float]]]:
        """``(role per line, marginals per non-blank line, features per non-blank line)``;
        blank lines get the role ``"blank"``."""
        lexical = None
        if self.lexicon is not None:
            lexical = [self.lexicon.probabilities(line) for line in lines if line.strip()]
        features = page_features(lines, self.config.get("features"), lexical)
        roles = ["blank"] * len(lines)
        if not features:
            return roles, [], features
        floor, floor_long = self.config.get("body_floor", 0.5), self.config.get("body_floor_long")
        tagged = tag_with_marginals(self.tagger, features)
        for i, (label, marginals) in zip((i for i, line in enumerate(lines) if line.strip()), tagged):
            roles[i] = decide_line(label, marginals, line_floor(lines[i], floor, floor_long))
        return roles, [marginals for _, marginals in tagged], features

    def predict(self, lines: list[str]) -> tuple[list[str], list[float]]:
        """One role per line (blank lines get ``"blank"``) and each line's P(title)."""
        roles, marginals, _ = self.read_page(lines)
        title_scores = [0.0] * len(lines)
        for i, m in zip((i for i, line in enumerate(lines) if line.strip()), marginals):
            title_scores[i] = m.get("title", 0.0)
        return roles, title_scores

    def predict_roles(self, lines: list[str]) -> list[str]:
        """One role per line; blank lines get ``"blank"``."""
        return self.predict(lines)[0]


def line_floor(text: str, floor: float, floor_long: float | None = None) -> float:
    """The body floor of one line: ``floor_long`` (when set) for a line of two or more
    sentences, whose wrong drop loses several body units, ``floor`` for the rest."""
    if floor_long is None:
        return floor
    return floor_long if sum(text.count(c) for c in "。！？!?") >= 2 else floor


def decide_line(label: str, marginals: dict[str, float], body_floor: float) -> str:
    """Body while P(body) ≥ ``body_floor``; otherwise the Viterbi label, or when that is
    body, the most probable other role. A floor under 0.5 keeps lines the chain would drop;
    one over 0.5 drops lines the chain would keep."""
    if marginals.get("body", 0.0) >= body_floor:
        return "body"
    if label != "body":
        return label
    return max((r for r in marginals if r != "body"), key=marginals.get, default="body")


def tag_with_marginals(tagger, features: list[dict[str, float]]) -> list[tuple[str, dict[str, float]]]:
    """Viterbi label and the marginal probability of every role, per line."""
    labels = tagger.tag(features)
    tagger.set(features)
    known = tagger.labels()
    return [(label, {r: tagger.marginal(r, i) for r in known}) for i, label in enumerate(labels)]


def decide(tagger, features: list[dict[str, float]], body_floor: float) -> list[str]:
    return [decide_line(label, marginals, body_floor) for label, marginals in tag_with_marginals(tagger, features)]


@lru_cache(maxsize=4)
def load(path: str | Path = DEFAULT_MODEL) -> PageRoleModel:
    path = Path(path)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    chooser = TitleChooser.load(path / config["title_choice"]) if config.get("title_choice") else None
    lexicon = LineLexicon.load(path / config["lexicon"]) if config.get("lexicon") else None
    return PageRoleModel(path / config.get("model_file", "model.crfsuite"), config, chooser, lexicon)


_ACTIVE: list = []  # a model set by ``using_model`` (evaluation only); False: step off


@contextmanager
def using_model(model: "PageRoleModel | bool"):
    """Make cleaning use ``model`` (a cross-validation fold's), or skip the role step
    (``False``: the rule cleaner alone, the peer), for the duration of the block."""
    _ACTIVE.append(model)
    try:
        yield
    finally:
        _ACTIVE.pop()


def predict_roles(lines: list[str], model: PageRoleModel | None = None) -> list[str]:
    """Roles of ``lines`` by the committed model (or ``model``)."""
    return (model or load()).predict_roles(lines)


# ---------------------------------------------------------------- from roles to meta / body

_AUTHOR = re.compile(r"(?:作者|记者|撰文|文|编辑|责任编辑|责编|编者|作者丨|By)\s*[:：|丨｜/]?\s*([^\s|丨｜/:：，,]{2,20})")
_SOURCE = re.compile(r"(?:来源|来自|出处|稿源|Source)\s*[:：|丨｜]?\s*([^\s|丨｜:：，,]{2,30})", re.I)
_FULL_DATE = re.compile(
    r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d\d(?::\d\d)?)?"
)


def parse_meta_line(text: str) -> dict[str, str]:
    """author / date / source fields a byline or dateline spells out with generic labels."""
    fields = {}
    date = _FULL_DATE.search(text)
    if date:
        fields["date"] = date.group(0).strip()
    source = _SOURCE.search(text)
    if source:
        fields["source"] = source.group(1)
    author = _AUTHOR.search(text)
    if author:
        fields["author"] = author.group(1)
    return fields


def _join_title(lines: list[str], run: list[int]) -> str:
    title_lines: list[str] = []
    for i in run:  # a headline printed twice (page title, then article title) is one title
        text = lines[i].strip()
        if not any(text in t or t in text for t in title_lines):
            title_lines.append(text)
    return " ".join(title_lines)


TITLE_GUESS_MIN = 0.2  # P(title) a line needs to name an untitled page


def split_page(lines: list[str], roles: list[str], title_scores: list[float] | None = None,
               headline: list[int] | None = None) -> tuple[list[int], dict, list[dict]]:
    """``(body line numbers (0-based), meta fields, dropped lines)`` for a labelled page.

    The title is a run of consecutive title lines (joined with a space; a repeat counts
    once): the one holding the likeliest headline by ``title_scores``, else the first. With
    no title line, the line of highest ``title_scores`` names the page if high enough.
    ``headline`` (line numbers, chosen by ``title_choice``) overrides both: the title is
    those lines and the title lines right after them, whatever role they have themselves.
    Meta lines give author/date/source (first found wins) and are kept whole in
    ``meta["byline"]``; every non-body line is dropped with its role as the reason, so the
    headline can never be glued to the first body sentence.
    """
    body, meta, dropped = [], {}, []
    runs: list[list[int]] = []
    meta_lines = []
    in_run = False
    for number, (line, role) in enumerate(zip(lines, roles)):
        text = line.strip()
        if role == "blank" or not text:
            continue
        if role == "title":
            if not in_run:
                runs.append([])
            runs[-1].append(number)
        in_run = role == "title"
        if role == "body":
            body.append(number)
            continue
        if role == "meta":
            meta_lines.append(text)
            for key, value in parse_meta_line(text).items():
                meta.setdefault(key, value)
        dropped.append({"line": number, "role": role, "text": text})
    if headline:
        run, following = list(headline), [n for n in range(headline[-1] + 1, len(lines)) if lines[n].strip()]
        for n in following:
            if roles[n] != "title":
                break
            run.append(n)
        meta["title"] = _join_title(lines, run)
    elif runs:
        run = max(runs, key=lambda r: max(title_scores[i] for i in r)) if title_scores else runs[0]
        meta["title"] = _join_title(lines, run)
    elif title_scores:
        # No line decided title: the likeliest headline names the page in meta (better
        # than the first body sentence), while its line stays where the decision put it.
        best = max(range(len(lines)), key=lambda i: title_scores[i])
        if title_scores[best] >= TITLE_GUESS_MIN:
            meta["title"] = lines[best].strip()
    if meta_lines:
        meta["byline"] = " ".join(meta_lines)
    return body, meta, dropped


# ---------------------------------------------------------------- the cleaning step

# A few lines show no page around them: no headline or byline to tell from the body, and
# dropping body text is worse than keeping a title in it. (In train_docs.jsonl, 8 of the
# 10 three-line pages and all 8 shorter ones are body only; the cost on CV is one title
# and one meta unit, see ``eval clean``.)
MIN_LINES_FOR_STRUCTURE = 4
# ... but a headline over two lines of text is still a headline: on such pages only the
# headline chooser acts (in train_docs.jsonl 2 of the 10 three-line pages have a title).
MIN_LINES_FOR_HEADLINE = 2
# The training pages have at most 23 non-blank lines; a file of hundreds is an export of
# many articles or a corpus, whose "top" and "end" the model has never seen. Leaving
# those to the rules also keeps the step's cost bounded per page.
MAX_PAGE_LINES = 400
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s*|\*\*|__")


def _rule_owned(text: str) -> bool:
    """Lines the rule cleaner (``pipeline.components.clean.cleaner``) already reads or drops itself, with
    its own log entry: header fields, bylines, END markers, credits, images, bare URLs,
    separator lines (where one file's articles part)."""
    stripped = line_patterns.IMAGE.sub("", text).strip()
    return (not stripped or bool(line_patterns.HEADER.match(text) or line_patterns.END.match(stripped)
            or line_patterns.CREDIT.match(stripped) or line_patterns.URL_LINE.match(stripped)
            or line_patterns.SEPARATOR.match(stripped)
            or (line_patterns.BYLINE.match(stripped) and len(stripped) <= 40)))


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each line of ``text``, split at \\n, \\r\\n or \\r like the cleaner."""
    spans, begin = [], 0
    for match in re.finditer(r"\r\n|\r|\n", text):
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, len(text)))
    return spans


def _is_byline(text: str) -> bool:
    stripped = text.strip()
    return bool(line_patterns.BYLINE.match(stripped)) and len(stripped) <= 40


def _rules_know_the_format(texts: list[str]) -> bool:
    """WeChat header fields near the top, or newspaper bylines: ``pipeline.components.clean.cleaner`` reads
    titles and bylines of such pages itself."""
    return any(line_patterns.HEADER.match(t) for t in texts[:40]) or any(_is_byline(t) for t in texts)


def _choose_headline(model: PageRoleModel, texts: list[str], roles: list[str], numbers: list[int],
                     features: list[dict], marginals: list[dict], repairs: list[dict],
                     may_drop: bool = True) -> tuple[list[int] | None, bool]:
    """``(line numbers of the headline model.title_chooser picks, whether it is sure)``: its
    best candidate, with the adjacent candidates it is as sure of (a headline set on two
    lines); ``(None, False)`` without a pick. A pick reaching the chooser's ``threshold``
    leaves the text (role title) unless ``may_drop`` is false (pages too short to tell a
    headline from a paragraph cut by layout); a weaker one only names the page (its line
    keeps the role the CRF gave it: dropping body text is worse than a title kept)."""
    chooser = model.title_chooser
    if chooser is None:
        return None, False
    scores = chooser.scores(features, marginals, [normalise(texts[n].strip()) for n in numbers])
    if not scores:
        return None, False
    position = max(scores, key=lambda p: (scores[p], -p))
    score = scores[position]
    if score < chooser.name_threshold or _rule_owned(texts[numbers[position]]):
        return None, False
    run = [position]
    while run[0] - 1 in scores and scores[run[0] - 1] >= chooser.threshold:
        run.insert(0, run[0] - 1)
    while run[-1] + 1 in scores and scores[run[-1] + 1] >= chooser.threshold:
        run.append(run[-1] + 1)
    for p in run:
        number = numbers[p]
        if scores[p] >= chooser.threshold and may_drop:
            roles[number] = "title"
        elif roles[number] == "body":
            repairs.append({"action": "keep", "reason": f"headline guess (score {scores[p]:.2f}) names the page, "
                            "kept in the text", "text": texts[number].strip()[:200], "line": number + 1})
    chosen = [numbers[p] for p in run]
    if COPIES_OF_HEADLINE and may_drop:
        _drop_copies_of_headline(texts, roles, chosen)
    return chosen, score >= chooser.threshold and may_drop


COPIES_OF_HEADLINE = True
COPY_SUFFIX_MAX = 6  # 图1, (3): what a caption or a repeat adds to the headline it copies


def _drop_copies_of_headline(texts: list[str], roles: list[str], headline: list[int]) -> None:
    """Lines elsewhere that repeat the headline (a page title over the article title, image
    captions made of the headline and a number) are furniture: the article's text is not a
    copy of its own headline."""
    title = "".join(normalise(texts[n].strip()) for n in headline)
    if len(title) < 6:
        return
    for number, text in enumerate(texts):
        line = normalise(text.strip())
        if number in headline or not line or _rule_owned(text):
            continue
        if line.startswith(title) and len(line) - len(title) <= COPY_SUFFIX_MAX:
            roles[number] = "furniture"


def apply_page_roles(tracked, meta: dict, repairs: list[dict], keep_title: bool = False,
                     model: PageRoleModel | None = None):
    """Take title, meta and furniture lines out of ``tracked`` (a ``pipeline.record.offsets.Tracked``).

    Dropped lines lose their characters but keep their line break, so line numbers and the
    blank-line layout the rule cleaner reads stay as they were. Title and meta lines fill
    ``meta`` (title, author, date, source, byline); every dropped line is logged in
    ``repairs`` with its line number and raw ``begin``/``end``. ``keep_title``: the input
    named its title (a JSON-lines ``title`` field): keep that one.

    Lines the rules read or drop themselves are left to them, and a page in a format the
    rules know (WeChat header fields, newspaper bylines) keeps its title and byline lines
    for them: there the model only drops furniture, never the line before a byline.
    """
    from pipeline.record.offsets import Tracked

    text, index = tracked.text, tracked.index
    spans = _line_spans(text)
    texts = [text[b:e] for b, e in spans]
    model = model or (_ACTIVE[-1] if _ACTIVE else load())
    lines_with_text = sum(1 for t in texts if t.strip())
    if model is False or lines_with_text < MIN_LINES_FOR_HEADLINE:
        return tracked
    short = lines_with_text < MIN_LINES_FOR_STRUCTURE
    if lines_with_text > MAX_PAGE_LINES:
        repairs.append({"action": "keep", "reason": f"page roles not read: {lines_with_text} lines is no single web page "
                        f"(over {MAX_PAGE_LINES}); left to the rules", "line": 1})
        return tracked
    roles, marginals, features = model.read_page(texts)
    numbers = [n for n, t in enumerate(texts) if t.strip()]  # line number of each non-blank line
    title_scores = [0.0] * len(texts)
    for n, m in zip(numbers, marginals):
        title_scores[n] = m.get("title", 0.0)
    structured = _rules_know_the_format(texts)
    for number, role in enumerate(roles):
        if role in ("body", "blank"):
            continue
        if short:  # too few lines to tell furniture from body: only a headline may leave
            roles[number] = "body"
            continue
        following = next((t for t in texts[number + 1:] if t.strip()), "")
        previous = next((t for t in reversed(texts[:number]) if t.strip()), "")
        if (_rule_owned(texts[number]) or (structured and (role != "furniture" or _is_byline(following)))
                or line_patterns.SEPARATOR.match(previous)):  # the headline of a next article: the rules split there
            roles[number] = "body"
    headline, sure = None, False
    if not structured:
        if not short:
            meta["page_roles"] = model.config.get("version", "page_roles")  # provenance; see clean._classify
        headline, sure = _choose_headline(model, texts, roles, numbers, features, marginals, repairs,
                                          may_drop=not short)
    body, found, dropped = split_page(texts, roles, None if structured or short else title_scores, headline)
    if headline and not sure and "title" in found and any(roles[n] == "body" for n in headline):
        # A guess kept in the text names the page only if nothing else does (an HTML <title>,
        # the rules' byline titles): the cleaner reads ``headline_guess`` last.
        found["headline_guess"] = found.pop("title")
        meta["_headline_lines"] = [n + 1 for n in headline]  # and it is not glued to the next line
    removed = {item["line"] for item in dropped}
    keep_text, keep_index, last = [], [], 0
    for number in sorted(removed):  # one pass: cost linear in the page
        begin, end = spans[number]
        keep_text.append(text[last:begin])
        keep_index.extend(index[last:begin])
        last = end
        raw = [index[i] for i in range(begin, end) if index[i] >= 0]
        role = roles[number]
        entry = {"action": "drop" if role == "furniture" else "meta", "reason": f"page {role} (role model)",
                 "text": text[begin:end].strip()[:200], "line": number + 1}
        if raw:
            entry["begin"], entry["end"] = raw[0], raw[-1] + 1
        repairs.append(entry)
    keep_text.append(text[last:])
    keep_index.extend(index[last:])
    if "title" in found:
        found["title"] = _MARKDOWN_HEADING.sub("", found["title"]).strip()
        if keep_title or not found["title"]:
            found.pop("title")
    for key, value in found.items():
        if key == "title":
            meta["title"] = value  # the page's headline beats an HTML <title> with its site name
        else:
            meta.setdefault(key, value)
    return Tracked("".join(keep_text), keep_index)
