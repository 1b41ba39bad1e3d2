"""Length-preserving character normalisation shared by every stage and every scorer.

People's Daily 1998 and some gold sets write Latin letters and digits full-width
(``ＧＰＴ－４``), most web text half-width. Every model is trained and applied on the
half-width form, so both sides meet in the middle. The mapping is one character to one
character, so offsets computed on normalised text are offsets in the original.
"""

from __future__ import annotations

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


def _traditional_to_simplified_table() -> dict[int, str]:
    """OpenCC's character table (shipped in opencc-purepy): one character to one character,
    so offsets survive. Empty when the package is missing: text is then seen as is."""
    try:
        import opencc_purepy
    except ImportError:
        return {}
    from pathlib import Path

    table = {}
    path = Path(opencc_purepy.__file__).parent / "dicts" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0]
        if len(source) == 1 and len(first) == 1:
            table[ord(source)] = first
    return table


_TO_SIMPLIFIED = _traditional_to_simplified_table()


def to_simplified_halfwidth(text: str) -> str:
    """Half-width and simplified (traditional characters by OpenCC's 1:1 table), same length:
    what stance, segmentation and NER read, so traditional script meets the simplified
    training data and offsets still point into ``text``.

    >>> to_simplified_halfwidth("人類認為ＡＩ")
    '人类认为AI'
    """
    return to_halfwidth(text).translate(_TO_SIMPLIFIED)
