"""Length-preserving character normalisation and character classes shared by every stage.

People's Daily 1998 and some gold sets write Latin letters and digits full-width
(``ＧＰＴ－４``), most web text half-width. Every model is trained and applied on the
half-width form, so both sides meet in the middle. The mapping is one character to one
character, so offsets computed on normalised text are offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Full-width ASCII letters, digits and the few symbols that occur inside tokens
# (GPT-4, X.ai, 5~10, 3.5%). Chinese punctuation (，。：“”) is deliberately kept.
_FULLWIDTH_KEEP = set("，。：；！？（）【】《》「」『』、“”‘’…—～")
_TABLE = {
    code: code - 0xFEE0
    for code in range(0xFF01, 0xFF5F)
    if chr(code) not in _FULLWIDTH_KEEP
}
_TABLE[0x3000] = 0x20  # ideographic space → space


def to_halfwidth(text: str) -> str:
    """Map full-width Latin letters, digits and ASCII symbols to half-width, 1:1 in length.

    >>> to_halfwidth("ＧＰＴ－４在２０２３年")
    'GPT-4在2023年'
    >>> to_halfwidth("你好，世界！")
    '你好，世界！'
    """
    return text.translate(_TABLE)


@lru_cache(maxsize=1)
def _traditional_to_simplified_table() -> dict[int, str]:
    """OpenCC's character table (shipped in opencc-purepy): one character to one character,
    so offsets survive. Empty when the package is missing: the stage then sees text as is."""
    try:
        import opencc_purepy
    except ImportError:
        return {}
    table = {}
    path = Path(opencc_purepy.__file__).parent / "dicts" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0]
        if len(source) == 1 and len(first) == 1:
            table[ord(source)] = first
    return table


def normalise(text: str) -> str:
    """Half-width, simplified copy of ``text`` with the same length (offsets carry over):
    traditional-script pages are read through it by stance and NER."""
    return to_halfwidth(text).translate(_traditional_to_simplified_table())


# ---------------------------------------------------------------- characters

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # CJK unified ideographs and extension A


def is_han(char: str) -> bool:
    """A Chinese character (CJK unified ideographs or extension A)."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


_CN_DIGITS = set("零〇○一二三四五六七八九十百千万亿两")
_DATE_CHARS = set("年月日时分秒")
_PUNCT = set("，。、；：？！“”‘’（）《》〈〉【】—…·「」『』,.;:?!\"'()[]<>-/%~")

# Character classes, the CRF feature each tagger was trained with (checked in order):
SEGMENT_CLASSES = (  # digit, Latin, Chinese numeral, date unit, punctuation; else C
    ("D", str.isdigit), ("L", lambda c: c.isascii() and c.isalpha()), ("N", _CN_DIGITS.__contains__),
    ("T", _DATE_CHARS.__contains__), ("P", _PUNCT.__contains__), ("C", None),
)
NER_CLASSES = (  # Han, digit, Latin, punctuation; else O
    ("H", lambda c: "\u4e00" <= c <= "\u9fff"), ("D", str.isdigit), ("L", lambda c: c.isascii() and c.isalpha()),
    ("P", lambda c: unicodedata.category(c).startswith("P")), ("O", None),
)


def char_class(char: str, classes=SEGMENT_CLASSES) -> str:
    """The first class of ``classes`` whose test ``char`` passes (the last has none)."""
    for letter, test in classes:
        if test is None or test(char):
            return letter
    raise ValueError("a class list ends with a catch-all (test None)")


# ---------------------------------------------------------------- sentences

# Connectives that open a sentence or paragraph and link it to what came before: cleaning
# never joins such a paragraph to the previous one, summaries drop them from a clause start.
CONNECTIVES = (
    "但是", "不过", "然而", "而且", "此外", "另外", "因此", "所以", "与此同时", "事实上",
    "据悉", "据了解", "值得注意的是", "需要指出的是",
)

SENTENCE_END = set("。！？!?")
CLOSERS = set("”’」』）)】》\"'")


def split_sentences(text: str) -> list[list[int]]:
    """The one sentence rule of the project. Sentence spans: cut after 。！？!? (closing quotes/brackets stay) and at line breaks."""
    spans, begin, i, n = [], 0, 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            if i > begin:
                spans.append([begin, i])
            begin = i + 1
        elif char in SENTENCE_END:
            end = i + 1
            while end < n and (text[end] in SENTENCE_END or text[end] in CLOSERS):
                end += 1
            spans.append([begin, end])
            begin, i = end, end - 1
        i += 1
    if begin < n:
        spans.append([begin, n])
    # Leading spaces of a sentence are not part of it.
    result = []
    for b, e in spans:
        while b < e and text[b].isspace():
            b += 1
        while e > b and text[e - 1].isspace():
            e -= 1
        if e > b:
            result.extend(_bounded(text, b, e))
    return result


MAX_SENTENCE_CHARS = 4000  # longer "sentences" (lists, run-on text, no punctuation) are cut


def _bounded(text: str, begin: int, end: int) -> list[list[int]]:
    """``[begin, end]`` in pieces of at most MAX_SENTENCE_CHARS, each cut after the last clause
    mark or space in its final quarter when there is one: every later stage scans a sentence
    (or a window of it) per cue, verb or token, so a bounded sentence keeps them linear."""
    pieces = []
    while end - begin > MAX_SENTENCE_CHARS:
        limit = begin + MAX_SENTENCE_CHARS
        floor = limit - MAX_SENTENCE_CHARS // 4
        cut = max(text.rfind(mark, floor, limit) for mark in "，,；;、： ")
        cut = cut + 1 if cut >= floor else limit
        pieces.append([begin, cut])
        begin = cut
        while begin < end and text[begin].isspace():
            begin += 1
    if end > begin:
        pieces.append([begin, end])
    return pieces
