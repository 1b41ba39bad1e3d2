"""HTML input: visible text with every character traced to the HTML source.

Scripts, styles and comments are dropped, block tags become line breaks (mapped to the
``<`` of the tag), entities become their character (mapped to the ``&``). The ``<title>``
goes to ``meta["title"]``.
"""

from __future__ import annotations

import html
import re

from pipeline.record.offsets import Tracked

_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S | re.I)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)[^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", re.S)
_BLOCK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote", "title", "header", "footer", "ul", "ol", "table"}
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)


def html_to_tracked(source: str, meta: dict) -> Tracked:
    title = _TITLE.search(source)
    if title and title.group(1).strip():
        meta["title"] = html.unescape(re.sub(r"\s+", " ", title.group(1))).strip()
    # Blank out dropped regions with spaces of equal length so indices stay valid.
    visible = _DROP.sub(lambda m: " " * len(m.group(0)), source)
    visible = _TITLE.sub(lambda m: " " * len(m.group(0)), visible)
    chars, index, last = [], [], 0
    for match in _TAG.finditer(visible):
        for position in range(last, match.start()):
            chars.append(visible[position])
            index.append(position)
        if match.group(3):
            chars.append(html.unescape(match.group(0))[:1])
            index.append(match.start())
        elif match.group(2).lower() in _BLOCK:
            chars.append("\n")
            index.append(match.start())
        last = match.end()
    for position in range(last, len(visible)):
        chars.append(visible[position])
        index.append(position)
    text = "".join(chars)
    # Runs of spaces left by removed markup collapse to one; newlines stay.
    keep = [i for i, ch in enumerate(text) if not (ch in " \t" and i > 0 and text[i - 1] in " \t\n")]
    return Tracked("".join(text[i] for i in keep), [index[i] for i in keep])
