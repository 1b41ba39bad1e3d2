"""HTML input: keep the page's main content, chosen by trafilatura, with every character
still traced to the raw HTML.

``html.html_to_tracked`` walks all visible text (navigation, footers and link lists
included) and maps each character back to the HTML source. trafilatura (a maintained
main-content extractor) tells which of that text is the article, but its output is plain
text with no offsets. So its lines are aligned back onto the walk: whitespace is ignored on
both sides and each extracted line is looked up in the walk in reading order; a line of the
walk stays when at least half of its characters were found, otherwise it is blanked (its
line break kept, so the layout the rule cleaner reads stays) and logged in ``repairs`` as
outside the main content. Kept characters are the walk's own, so their raw offsets hold.

When the extractor is missing, fails, finds nothing, or its text cannot be found in the
walk, the walk is used whole (as before this step); ``repairs`` says which path was taken.
"""

from __future__ import annotations

import re

from pipeline.record.offsets import Tracked

EXTRACTOR = "trafilatura"
MAX_HTML_CHARS = 4_000_000  # larger sources: the walk alone (the extractor's cost grows with the tree)
MIN_ALIGNED_SHARE = 0.5  # of the extracted characters found in the walk, else the walk is used
LINE_KEEP_SHARE = 0.5  # of a walk line's characters matched for it to stay
SEARCH_WINDOW = 200_000  # characters of the walk searched ahead for one extracted line (linear time)
CHUNK = 6  # an extracted line not found whole is looked up in pieces of this many characters
MAX_LOGGED_DROPS = 300


def extract_main_text(source: str) -> str | None:
    """The main text trafilatura finds (lines), or None when it is missing or finds nothing."""
    try:
        import trafilatura
    except ImportError:
        return None
    try:
        text = trafilatura.extract(source, output_format="txt", include_comments=False, include_tables=True,
                                   include_images=False, include_links=False, deduplicate=False)
    except Exception:  # a page the extractor cannot parse: the walk still can
        return None
    return text if text and text.strip() else None


def _squashed(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, and the position in ``text`` of each kept character."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in positions), positions


def align(walk: str, extracted: str) -> tuple[list[bool], float]:
    """Which characters of ``walk`` the extracted lines cover, and the share of extracted
    (non-space) characters found. Lines are searched in reading order from where the
    previous one ended (a window ahead, so the cost stays linear), then from the start (an
    extractor may repeat or reorder a line)."""
    flat, positions = _squashed(walk)
    covered = [False] * len(walk)
    cursor, found, total = 0, 0, 0

    def mark(begin: int, length: int) -> None:
        for k in range(begin, begin + length):
            covered[positions[k]] = True

    for line in extracted.splitlines():
        piece = "".join(line.split())
        if not piece:
            continue
        total += len(piece)
        at = flat.find(piece, cursor, cursor + SEARCH_WINDOW + len(piece))
        if at < 0:
            at = flat.find(piece, 0, min(cursor, SEARCH_WINDOW) + len(piece))
        if at >= 0:
            mark(at, len(piece))
            found += len(piece)
            cursor = max(cursor, at + len(piece))
            continue
        # Not found whole (the extractor re-spaced or re-punctuated it): look for its pieces.
        local = cursor
        for start in range(0, len(piece), CHUNK):
            chunk = piece[start:start + CHUNK]
            if len(chunk) < 3:
                break
            at = flat.find(chunk, local, local + SEARCH_WINDOW)
            if at >= 0:
                mark(at, len(chunk))
                found += len(chunk)
                local = at + len(chunk)
        cursor = max(cursor, local)
    return covered, found / max(1, total)


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, len(text)))
    return spans


def keep_main_content(source: str, walk: Tracked, repairs: list[dict]) -> Tracked:
    """The walk with every line outside trafilatura's main content blanked; the walk
    itself when the extractor cannot be used. One ``repairs`` entry names the path taken."""
    if len(source) > MAX_HTML_CHARS:
        repairs.append({"action": "keep", "reason": f"main content: visible-text walk (HTML over {MAX_HTML_CHARS} characters)"})
        return walk
    extracted = extract_main_text(source)
    if extracted is None:
        repairs.append({"action": "keep", "reason": f"main content: visible-text walk ({EXTRACTOR} found nothing)"})
        return walk
    text, index = walk.text, walk.index
    covered, share = align(text, extracted)
    if share < MIN_ALIGNED_SHARE:
        repairs.append({"action": "keep", "reason": f"main content: visible-text walk ({EXTRACTOR}'s text not found "
                        f"in the page: {share:.0%} aligned)"})
        return walk
    keep_text, keep_index, last, kept_lines, dropped = [], [], 0, 0, []
    for number, (begin, end) in enumerate(_line_spans(text)):
        visible = [i for i in range(begin, end) if not text[i].isspace()]
        if not visible:
            continue
        if sum(covered[i] for i in visible) >= len(visible) * LINE_KEEP_SHARE:
            kept_lines += 1
            continue
        keep_text.append(text[last:begin])
        keep_index.extend(index[last:begin])
        last = end
        dropped.append((number, begin, end))
    if not kept_lines:
        repairs.append({"action": "keep", "reason": f"main content: visible-text walk ({EXTRACTOR} kept no line of it)"})
        return walk
    keep_text.append(text[last:])
    keep_index.extend(index[last:])
    repairs.append({"action": "extract", "reason": f"main content chosen by {EXTRACTOR}: {kept_lines} lines kept, "
                    f"{len(dropped)} dropped"})
    for number, begin, end in dropped[:MAX_LOGGED_DROPS]:
        raw = [index[i] for i in range(begin, end) if index[i] >= 0]
        entry = {"action": "drop", "reason": f"outside the main content ({EXTRACTOR})",
                 "text": text[begin:end].strip()[:200], "line": number + 1}
        if raw:
            entry["begin"], entry["end"] = raw[0], raw[-1] + 1
        repairs.append(entry)
    if len(dropped) > MAX_LOGGED_DROPS:
        repairs.append({"action": "drop", "reason": f"outside the main content ({EXTRACTOR}): "
                        f"{len(dropped) - MAX_LOGGED_DROPS} more lines"})
    return Tracked("".join(keep_text), keep_index)
