"""The clean stage: from a decoded input unit to document records with a traceable text.

Every character of the cleaned text remembers the raw character it came from (``Tracked``),
so removing boilerplate, rejoining paragraphs that layout cut apart, or normalising width
never loses the way back to the source. Steps, in order:

1. lines → header fields (WeChat export: 文章作者, 发布时间, …) into ``meta``;
2. markdown and boilerplate removed (images, credits 图｜/文｜, ``END`` and the footer after
   it, reader-group and follow calls);
3. lines → paragraphs; a line broken inside a sentence is joined to the next;
4. several articles in one file are split at their bylines (本报记者 …) and at separator
   lines followed by a headline;
5. per article: image captions removed, paragraphs cut by layout rejoined with their
   continuation wherever it was set (``pipeline.charlm`` scores the joins), pull quotes
   that repeat body text removed (or used to complete a paragraph whose end was lost);
6. width normalised (full-width Latin letters and digits → half-width), sentences split.

Each repair is logged in the record's ``repairs`` list with the text involved and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.components.clean.charlm import CharTrigramLM
from pipeline.components.clean import line_patterns
from pipeline.record.offsets import Tracked, offset_runs
from pipeline.record.text import CLOSERS, CONNECTIVES, HAN, split_sentences, to_halfwidth
from pipeline.components.clean.readers import Unit

VERSION = "zh.clean.rules.v1"


TERMINAL = set("。！？!?…；;：:")
CAPTION_MIN_GAP = 3  # blank lines around an image placeholder in page exports
CAPTION_MAX_CHARS = 40
HEADING_MAX_CHARS = 30
ARTICLE_TITLE_MAX_CHARS = 60  # a headline under a separator line opens a new article
JOIN_MIN_SCORE = 1.0  # log-odds a continuation must reach after a mid-word cut
JOIN_MIN_SCORE_AFTER_COMMA = -0.5  # a paragraph ending in ，or 、 is surely cut: accept weaker evidence
UNMATCHED_COST = 1.0
DISTANCE_COST = 0.02  # per paragraph between the cut and its continuation
JOIN_MAX_DISTANCE = 40  # paragraphs searched for a continuation
# Paragraphs that open with a discourse connective start afresh; never a continuation.
_DISCOURSE_OPENER = re.compile("^({})[，,]".format("|".join(CONNECTIVES + (
    "需要注意的是", "实际上", "同时", "总之", "总的来说", "首先", "其次", "最后", "例如", "比如",
    "据报道", "近日", "目前", "随后", "此前", "对此", "另一方面", "其中",
))))
PULL_QUOTE_MIN_OVERLAP = 6
PULL_QUOTE_WINDOW = 100  # paragraphs before and after a pull quote searched for the text it repeats


@dataclass
class Paragraph:
    body: Tracked
    line: int  # 1-based line number of its first line in the raw text
    gap_before: int  # blank lines between it and the previous kept line
    kind: str = "body"  # body | heading | caption | pull_quote | byline | title
    after_separator: bool = False  # a separator line (----) came before it

    @property
    def text(self) -> str:
        return self.body.text


@dataclass
class Article:
    paragraphs: list[Paragraph]
    meta: dict = field(default_factory=dict)
    repairs: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------- lines and paragraphs


def _lines(text: str) -> list[Tracked]:
    """Split at \\n, \\r\\n or \\r, keeping raw indices."""
    lines, start = [], 0
    for match in re.finditer(r"\r\n|\r|\n", text):
        lines.append(Tracked(text[start : match.start()], list(range(start, match.start()))))
        start = match.end()
    lines.append(Tracked(text[start:], list(range(start, len(text)))))
    return lines


def _is_complete(text: str) -> bool:
    stripped = text.rstrip("".join(CLOSERS))
    if len(stripped) < len(text):
        return True  # ends in a closing quote or bracket: never guess a join across it
    return bool(stripped) and stripped[-1] in TERMINAL


def _join_lines(first: Tracked, newline_index: int, second: Tracked) -> Tracked:
    """Join a line broken inside a sentence; between two Latin words the raw line break
    becomes the space that separated them, so nothing is invented."""
    if first.text and second.text and first.text[-1].isascii() and second.text[0].isascii():
        return first + Tracked(" ", [newline_index]) + second
    return first + second


def read_paragraphs(text: str, meta: dict, repairs: list[dict], ends_paragraph: frozenset[int] = frozenset()
                    ) -> list[Paragraph]:
    """Lines → paragraphs, taking header fields into ``meta`` and dropping boilerplate.
    ``ends_paragraph``: 1-based numbers of lines never joined to the next (a headline)."""
    paragraphs: list[Paragraph] = []
    gap, after_end, previous_open, separated = 0, False, False, False
    for number, line in enumerate(_lines(text), 1):
        raw = line.text
        if after_end:
            if raw.strip():
                repairs.append({"action": "drop", "reason": "footer after END", "text": raw.strip(), "line": number})
            continue
        header = line_patterns.HEADER.match(raw)
        if header and len(paragraphs) <= 1:
            meta[line_patterns.HEADER_FIELDS[header.group(1)]] = header.group(2)
            repairs.append({"action": "meta", "reason": f"header field {header.group(1)}", "text": raw.strip(), "line": number})
            continue
        if number == 1 and raw.startswith("# "):
            meta["title"] = raw[2:].strip()
        cleaned = line.remove(line_patterns.IMAGE)
        if cleaned.text != raw and not cleaned.text.strip():
            repairs.append({"action": "drop", "reason": "markdown image", "text": raw.strip()[:80], "line": number})
            previous_open, gap = False, 0  # a gap around a dropped line is not a layout gap
            continue
        cleaned = cleaned.remove(line_patterns.MARKUP).strip()
        stripped = cleaned.text
        if not stripped:
            gap += 1
            previous_open = False
            continue
        reason = None
        if line_patterns.URL_LINE.match(stripped):
            reason = "bare URL line"
        elif line_patterns.END.match(stripped):
            reason, after_end = "END marker", True
        elif line_patterns.SEPARATOR.match(raw):  # before markup removal took "* " of "* * *"
            reason, separated = "separator line", True
        elif line_patterns.CREDIT.match(stripped):
            reason = "photo/text credit"
        elif len(stripped) <= 40 and line_patterns.FOLLOW_CALL.search(stripped):
            reason = "reader-group or follow call"
        if reason:
            repairs.append({"action": "drop", "reason": reason, "text": stripped, "line": number})
            previous_open, gap = False, 0
            continue
        if previous_open and gap == 0:
            last = paragraphs[-1]
            newline = line.index[0] - 1 if line.index else -1
            last.body = _join_lines(last.body, newline, cleaned)
            repairs.append({"action": "join_line", "reason": "line break inside a sentence", "text": stripped[:40], "line": number})
        else:
            paragraphs.append(Paragraph(cleaned, number, gap, after_separator=separated))
            separated = False
        # A headline right after a separator line is never glued to the first sentence under it.
        previous_open = not _is_complete(paragraphs[-1].text) and number not in ends_paragraph and not (
            paragraphs[-1].after_separator and len(paragraphs[-1].text) <= ARTICLE_TITLE_MAX_CHARS)
        gap = 0
    return paragraphs


# ---------------------------------------------------------------- articles


def _opens_article(paragraphs: list[Paragraph], i: int) -> bool:
    """After a separator line, a headline (short, no sentence end) with text under it: the
    file shows a new article here. (A separator followed by body text is a section break.)"""
    text = paragraphs[i].text
    return (paragraphs[i].after_separator and 0 < i < len(paragraphs) - 1
            and len(text) <= ARTICLE_TITLE_MAX_CHARS and not _is_complete(text))


def split_articles(paragraphs: list[Paragraph], meta: dict) -> list[Article]:
    """Split at bylines (the paragraph before each byline is that article's title) and at
    separator lines followed by a headline (the headline is that article's title)."""
    bylines = [i for i, p in enumerate(paragraphs) if line_patterns.BYLINE.match(p.text) and len(p.text) <= 40]
    separated = {i for i in range(len(paragraphs)) if _opens_article(paragraphs, i)}
    starts = sorted({0} | {max(i - 1, 0) for i in bylines} | separated)
    articles = []
    for number, begin in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(paragraphs)
        article = Article(paragraphs[begin:end], dict(meta))
        if not article.paragraphs:
            continue
        byline = next((p for p in article.paragraphs[:2] if line_patterns.BYLINE.match(p.text)), None)
        if byline is not None:
            byline.kind = "byline"
            place = line_patterns.BYLINE_PLACE.search(byline.text)
            article.meta["byline"] = byline.text
            article.meta["author"] = line_patterns.BYLINE_PLACE.sub("", line_patterns.BYLINE.sub("", byline.text)).strip()
            if place:
                article.meta["place"] = place.group(1)
            title_paragraph = article.paragraphs[0] if article.paragraphs[0] is not byline else None
            if title_paragraph is not None:
                title_paragraph.kind = "title"
                article.meta["title"] = title_paragraph.text
        elif begin in separated:
            article.paragraphs[0].kind = "title"
            article.meta["title"] = article.paragraphs[0].text
        elif "title" in meta and article.paragraphs[0].text.lstrip("# ") == meta["title"]:
            article.paragraphs[0].kind = "title"
        articles.append(article)
    return articles


def _classify(article: Article) -> None:
    for paragraph in article.paragraphs:
        if paragraph.kind != "body":
            continue
        text = paragraph.text
        # Captions of pages the role model read were its to drop (``page_roles``).
        if "page_roles" not in article.meta and paragraph.gap_before >= CAPTION_MIN_GAP and len(text) <= CAPTION_MAX_CHARS and text[-1] in "。" and text.count("。") == 1:
            paragraph.kind = "caption"
        elif len(text) <= HEADING_MAX_CHARS and not re.search(r"[，。；、：,;:]", text.rstrip("？！?!")):
            paragraph.kind = "heading"


def _core(text: str) -> str:
    """A pull quote's words without its quotation marks and final punctuation."""
    return text.strip("“”\"「」『』").rstrip("。！？!?，").strip("“”\"「」『』").rstrip("。！？!?，")


def _assign_continuations(opens: list[int], scores: dict[tuple[int, int], float]) -> dict[int, int]:
    """At most one continuation per open paragraph and one open paragraph per
    continuation, maximising the total score (Hungarian algorithm). Leaving a paragraph
    open costs ``UNMATCHED_COST``: text lost to layout is rarer than text moved by it."""
    columns = sorted({j for _, j in scores})
    if not opens or not columns:
        return {}
    forbidden = 1e6
    width = len(columns) + len(opens)  # one "no continuation" column per open paragraph
    cost = [
        [-scores[(i, j)] if (i, j) in scores else forbidden for j in columns]
        + [UNMATCHED_COST if k == row else forbidden for k in range(len(opens))]
        for row, i in enumerate(opens)
    ]
    assignment = _hungarian(cost, width)
    return {opens[row]: columns[col] for row, col in enumerate(assignment) if col < len(columns)}


def _hungarian(cost: list[list[float]], width: int) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows ≤ columns)."""
    rows, inf = len(cost), float("inf")
    u, v = [0.0] * (rows + 1), [0.0] * (width + 1)
    owner, way = [0] * (width + 1), [0] * (width + 1)
    for row in range(1, rows + 1):
        owner[0], col0 = row, 0
        min_slack, used = [inf] * (width + 1), [False] * (width + 1)
        while True:
            used[col0], row0, delta, col1 = True, owner[col0], inf, 0
            for col in range(1, width + 1):
                if not used[col]:
                    slack = cost[row0 - 1][col - 1] - u[row0] - v[col]
                    if slack < min_slack[col]:
                        min_slack[col], way[col] = slack, col0
                    if min_slack[col] < delta:
                        delta, col1 = min_slack[col], col
            for col in range(width + 1):
                if used[col]:
                    u[owner[col]] += delta
                    v[col] -= delta
                else:
                    min_slack[col] -= delta
            col0 = col1
            if owner[col0] == 0:
                break
        while col0:
            col1 = way[col0]
            owner[col0], col0 = owner[col1], col1
    result = [0] * rows
    for col in range(1, width + 1):
        if owner[col]:
            result[owner[col] - 1] = col - 1
    return result


def _repair_layout(article: Article, lm: CharTrigramLM) -> None:
    """Rejoin paragraphs cut by layout; drop captions and pull quotes that repeat the body."""
    _classify(article)
    paragraphs = article.paragraphs
    for paragraph in paragraphs:
        if paragraph.kind == "caption":
            article.repairs.append({"action": "drop", "reason": "image caption", "text": paragraph.text, "line": paragraph.line})
            article.meta.setdefault("captions", []).append(paragraph.text)
    body = [i for i, p in enumerate(paragraphs) if p.kind == "body"]
    opens = [i for i in body if not _is_complete(paragraphs[i].text)]
    # A pull quote that repeats an open paragraph's end tells what must come next.
    quoted = {i: _pull_quote_remainder(paragraphs, i, body) for i in opens}

    # Candidate joins: an open paragraph (no sentence end) with a later body paragraph.
    scores = {}
    for i in opens:
        floor = JOIN_MIN_SCORE_AFTER_COMMA if paragraphs[i].text[-1] in "，、,;" else JOIN_MIN_SCORE
        for j in body:
            if not i < j <= i + JOIN_MAX_DISTANCE or _DISCOURSE_OPENER.match(paragraphs[j].text):
                continue
            if quoted[i] is not None:
                if paragraphs[j].text.startswith(quoted[i][1].text[:4]):
                    scores[(i, j)] = 100.0  # the pull quote spells out this continuation
                continue
            score = lm.continuation_score(paragraphs[i].text, paragraphs[j].text) - DISTANCE_COST * (j - i)
            if score > floor:
                scores[(i, j)] = score
    next_of = _assign_continuations(opens, scores)
    consumed = set()
    for i in opens:
        if i not in next_of and quoted[i] is not None:
            j, rest = quoted[i]
            article.repairs.append({
                "action": "join", "reason": "paragraph end lost by layout, completed from the pull quote repeating it",
                "end_of": paragraphs[i].text[-12:], "pull_quote": paragraphs[j].text, "lines": [paragraphs[i].line, paragraphs[j].line],
            })
            paragraphs[i].body = paragraphs[i].body + rest
            consumed.add(j)
    for i, j in sorted(next_of.items()):
        article.repairs.append({
            "action": "join", "reason": "paragraph cut by layout, continued later",
            "end_of": paragraphs[i].text[-12:], "start_of": paragraphs[j].text[:12],
            "lines": [paragraphs[i].line, paragraphs[j].line], "score": round(scores[(i, j)], 2),
        })
    taken = set(next_of.values())
    merged: list[Paragraph] = []
    for i, paragraph in enumerate(paragraphs):
        if i in taken or i in consumed or paragraph.kind == "caption":
            continue
        while i in next_of:
            i = next_of[i]
            paragraph = Paragraph(paragraph.body + paragraphs[i].body, paragraph.line, paragraph.gap_before, paragraph.kind)
        merged.append(paragraph)

    # Pull quotes: a short paragraph whose words appear again in the body nearby (a window of
    # paragraphs, so a long file costs linear time, not paragraphs × text).
    kept: list[Paragraph] = []
    for position, paragraph in enumerate(merged):
        core = _core(paragraph.text)
        nearby = merged[max(0, position - PULL_QUOTE_WINDOW) : position + PULL_QUOTE_WINDOW + 1]
        if paragraph.kind == "body" and len(paragraph.text) <= 120 and len(core) >= PULL_QUOTE_MIN_OVERLAP and any(
            core in other.text for other in nearby if other is not paragraph and other.kind == "body"
        ):
            article.repairs.append({"action": "drop", "reason": "pull quote repeating body text", "text": paragraph.text, "line": paragraph.line})
            continue
        kept.append(paragraph)
    for paragraph in kept:
        if paragraph.kind == "body" and not _is_complete(paragraph.text):
            article.repairs.append({"action": "keep", "reason": "paragraph ends mid-sentence, no continuation found", "text": paragraph.text[-20:], "line": paragraph.line})
    article.paragraphs = kept


def _pull_quote_remainder(paragraphs: list[Paragraph], i: int, body: list[int]) -> tuple[int, Tracked] | None:
    """If a short paragraph quotes the end of open paragraph ``i`` and goes on, return it
    and the part that goes on (what paragraph ``i`` lost or what must follow it)."""
    text = paragraphs[i].text
    for j in body:
        quote = paragraphs[j]
        if j == i or len(quote.text) > 120:
            continue
        core = _core(quote.text)
        offset = quote.text.find(core)
        for size in range(min(len(core), len(text)) - 1, PULL_QUOTE_MIN_OVERLAP - 1, -1):
            if text.endswith(core[:size]):
                end = offset + len(core)
                return j, quote.body.slice(offset + size, end + _closing_length(quote.text[end:]))
    return None


def _closing_length(tail: str) -> int:
    """Keep the quote's inner closing marks and final punctuation, not its outer quote."""
    inner = tail.rstrip("”\"」』")
    return len(inner)


# ---------------------------------------------------------------- records


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def chinese_ratio(text: str) -> float:
    """Share of Chinese characters among letters and digits of any script."""
    return len(HAN.findall(text)) / max(1, len(_LETTER_OR_DIGIT.findall(text)))


def _assemble(article: Article, raw: str, html: bool = False) -> Tracked:
    """Paragraphs joined by line breaks, each break mapped to what broke the line in the
    source: the raw line break before the next paragraph, or in HTML the tag."""
    texts: list[str] = []
    index: list[int] = []  # built in one pass: adding Tracked strings one by one is quadratic
    breaks = "\n\r<" if html else "\n\r"
    for number, paragraph in enumerate(article.paragraphs):
        if number:
            first = max(paragraph.body.index[0] if paragraph.body.index else 0, 0)
            texts.append("\n")
            index.append(max(raw.rfind(char, 0, first) for char in breaks))
        texts.append(paragraph.body.text)
        index.extend(paragraph.body.index)
    return Tracked(to_halfwidth("".join(texts)), index)


def clean_unit(unit: Unit, lm: CharTrigramLM) -> list[dict]:
    """Clean one decoded unit into one record per article (not yet quarantine-checked)."""
    meta = {"source_file": unit.source_file, "encoding": unit.encoding, "format": unit.format}
    if unit.source_line is not None:
        meta["source_line"] = unit.source_line
    meta.update(unit.meta)
    raw = unit.text
    repairs: list[dict] = []
    if unit.format in ("html", "text"):
        from pipeline.components.clean.html import html_to_tracked
        from pipeline.components.clean.page_roles import apply_page_roles

        if unit.format == "html":  # the visible text, then only its main content (trafilatura)
            from pipeline.components.clean.main_content import keep_main_content

            tracked = keep_main_content(raw, html_to_tracked(raw, meta), repairs)
        else:
            tracked = Tracked(raw, list(range(len(raw))))
        # Page structure: title and bylines to meta, furniture out, before the rules run.
        tracked = apply_page_roles(tracked, meta, repairs, keep_title="title" in unit.meta)
        headline_lines = frozenset(meta.pop("_headline_lines", ()))  # a guessed headline kept in the text
        paragraphs = read_paragraphs(tracked.text, meta, repairs, headline_lines)
        for paragraph in paragraphs:  # indices into the raw source, not the extracted text
            paragraph.body = Tracked(paragraph.body.text, [tracked.index[i] if i >= 0 else -1 for i in paragraph.body.index])
    else:
        paragraphs = read_paragraphs(raw, meta, repairs)
    articles = split_articles(paragraphs, meta) if paragraphs else []
    records = []
    for number, article in enumerate(articles, 1):
        article.repairs = (repairs if number == 1 else []) + article.repairs
        _repair_layout(article, lm)
        tracked = _assemble(article, raw, html=unit.format == "html")
        doc_id = unit.id if len(articles) == 1 else f"{unit.id}-{number}"
        guess = article.meta.pop("headline_guess", None)  # page_roles' unsure headline, kept in the text
        article.meta.setdefault("title", guess or tracked.text.split("\n", 1)[0][:60])
        article.meta["article"] = number
        article.meta["articles_in_unit"] = len(articles)
        records.append({
            "id": doc_id,
            "text": tracked.text,
            "meta": article.meta,
            "sentences": split_sentences(tracked.text),
            "offsets": offset_runs(tracked.index),
            "repairs": article.repairs,
        })
    return records
