"""Offsets back to the source: every character of a cleaned text knows where it came from.

Cleaning removes, joins and moves text; :class:`Tracked` carries each character's index in
the decoded raw input through all of it, and the record stores the result compactly as
``offsets`` runs ``[clean_begin, raw_begin, length]`` (:func:`offset_runs`, :func:`raw_index`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Tracked:
    """A string whose every character carries its index in the raw text (-1: none)."""

    text: str
    index: list[int]

    def __add__(self, other: "Tracked") -> "Tracked":
        return Tracked(self.text + other.text, self.index + other.index)

    def slice(self, begin: int, end: int) -> "Tracked":
        return Tracked(self.text[begin:end], self.index[begin:end])

    def remove(self, pattern: re.Pattern) -> "Tracked":
        keep_text, keep_index, last = [], [], 0
        for match in pattern.finditer(self.text):
            keep_text.append(self.text[last : match.start()])
            keep_index.extend(self.index[last : match.start()])
            last = match.end()
        keep_text.append(self.text[last:])
        keep_index.extend(self.index[last:])
        return Tracked("".join(keep_text), keep_index)

    def strip(self) -> "Tracked":
        begin, end = 0, len(self.text)
        while begin < end and self.text[begin].isspace():
            begin += 1
        while end > begin and self.text[end - 1].isspace():
            end -= 1
        return self.slice(begin, end)


def offset_runs(index: list[int]) -> list[list[int]]:
    """Compress a per-character raw index into runs ``[clean_begin, raw_begin, length]``."""
    runs: list[list[int]] = []
    for position, raw in enumerate(index):
        if runs and runs[-1][1] + runs[-1][2] == raw and runs[-1][0] + runs[-1][2] == position:
            runs[-1][2] += 1
        else:
            runs.append([position, raw, 1])
    return runs


def raw_index(runs: list[list[int]], position: int) -> int:
    """The raw character index of cleaned character ``position``."""
    for clean_begin, raw_begin, length in runs:
        if clean_begin <= position < clean_begin + length:
            return raw_begin + position - clean_begin
    raise IndexError(position)
