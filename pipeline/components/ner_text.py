"""The text forms NER reads and compares names in, shared by the CRF stage
(:mod:`pipeline.components.ner`) and its page-level rescorer
(:mod:`pipeline.components.ner_rescore`) without an import cycle between them.
"""

from __future__ import annotations

import re

from pipeline.record.text import normalise

# A statistical span must hold a Han or Latin letter and none of these: on web text the CRF
# otherwise swallows URLs, markup and lists ("OpenAI和Google/DeepMind这两家公司"). A single
# space may join two words of a name (Stuart Russell), never two spaces or a line break.
_NOT_IN_NAMES = re.compile(r"[\t\n\r/:=?&()\[\]{}<>|\\，。；：！？、（）【】]|\s\s")
_LETTER = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NAME_SEPARATORS = str.maketrans("", "", "·•・‧ \u00b7\u2022")
# Every middle dot a transliterated name may use (理查·布兰森, 比尔•盖茨, 山姆・奥特曼) is
# tagged as "·", the one the training corpora use.
_SEPARATOR_TO_DOT = str.maketrans("•・‧\u2022\u30fb\uff65\u2027", "·······")


def tagging_copy(text: str) -> str:
    """The copy of ``text`` the models read: half-width, simplified (OpenCC's 1:1 character
    table, as stance uses), one middle dot. Same length, so offsets carry over to ``text``."""
    return normalise(text).translate(_SEPARATOR_TO_DOT)


def name_key(name: str) -> str:
    """The form names are compared in: half-width, simplified, lower case, no name separators."""
    return normalise(name).lower().translate(_NAME_SEPARATORS)
