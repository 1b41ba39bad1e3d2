"""Matching holder names: the same person under several forms (马斯克 ~ 埃隆·马斯克,
LeCun ~ Yann LeCun) and the canonical form a holder is reported under."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.components.stance.speakers import _DOT_NAME, _LATIN_NAME
from pipeline.record.text import normalise


def same_holder(a: str | None, b: str | None) -> bool:
    """Names match after simplification and whitespace removal when equal or one ends the other.

    This is how 马斯克 ~ 埃隆·马斯克, LeCun ~ Yann LeCun and 迪·贾西 ~ 安迪·贾西 meet.
    """
    if a is None or b is None:
        return a is b
    a, b = _compact(a), _compact(b)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return shorter == longer or (len(shorter) >= 2 and longer.endswith(shorter))


@lru_cache(maxsize=1 << 16)
def _compact(name: str) -> str:
    """A name as names are compared: simplified, half-width, without whitespace (cached:
    the holder model compares each new form with every form of the document)."""
    return re.sub(r"\s+", "", normalise(name))


def canonical_holder(name: str | None, record: dict, other_holders: list[str] = ()) -> str | None:
    """The entity's canonical name for a holder (NER clusters), else the longest form of the same
    name in the document (马斯克 → 埃隆·马斯克, 晓建 → 陈晓建), else the name itself."""
    if not name:
        return None
    for entity in record.get("entities") or []:
        if any(same_holder(name, alias) for alias in [entity["name"], *entity.get("aliases", [])]):
            return entity["name"]
    text = record.get("text", "")
    normalised = normalise(text)
    forms = [text[m.start() : m.end()] for pattern in (_DOT_NAME, _LATIN_NAME) for m in pattern.finditer(normalised)]
    forms += [other for other in other_holders if other]
    return max((form for form in forms if same_holder(name, form)), key=len, default=name) if len(name) >= 2 else name
