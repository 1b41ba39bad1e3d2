"""Reading input files: find them, detect the encoding, split JSON lines, quarantine the rest.

A *unit* is what the cleaner receives: one decoded text with where it came from. A ``.txt``
or ``.md`` file is one unit (it may hold several articles; the cleaner splits them), an
``.html`` file is one unit, and each line of a ``.jsonl`` file is one unit. Whatever cannot
become a unit becomes a quarantine record with a reason from ``QUARANTINE_REASONS``.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}

# Every reason a document or file can be set aside; the README lists them for users.
QUARANTINE_REASONS = {
    "empty": "the file or record has no text at all",
    "whitespace_only": "the text is only whitespace",
    "binary": "the bytes look like binary data (NUL bytes or control characters)",
    "undecodable": "the bytes are not valid in any supported encoding",
    "too_large": "the file is over the configured max_file_mb",
    "not_chinese": "too few Chinese characters after cleaning (min_chinese_ratio)",
    "unsupported_type": "the file suffix is not .txt, .md, .html, .htm or .jsonl",
    "unreadable": "the file cannot be opened (permissions, broken link)",
    "not_a_file": "a FIFO, device, socket or folder link among the inputs: refused without opening it",
    "malformed_json": "a JSON-lines line that is not a JSON object (or nests too deeply, or escapes a lone surrogate)",
    "missing_text": "a JSON-lines object without a 'text' field",
    "bad_field_type": "a JSON-lines field that is not a string",
    "duplicate_id": "another document already has this id",
    "exact_duplicate": "the same cleaned text as an earlier document",
    "near_duplicate": "almost the same cleaned text as an earlier document",
}


@dataclass
class Unit:
    """One decoded text and its provenance."""

    id: str
    text: str
    source_file: str
    encoding: str
    format: str
    source_line: int | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class Quarantined:
    """A file or record set aside, and why."""

    source_file: str
    reason: str
    detail: str
    source_line: int | None = None
    id: str | None = None
    kept: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes, returning ``(text, encoding)``; raises ``ValueError(reason, detail)``.

    Order: a BOM; strict UTF-8; a UTF-8 file cut inside its last character; then, of
    UTF-16 (LE/BE, no BOM), GB18030 (a superset of GBK and GB2312) and Big5, the decoding
    whose characters are most like Chinese text (by character frequency). Bytes that no
    encoding makes plausible text of are binary or undecodable.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name.replace("-sig", "") + "-bom"
            except UnicodeDecodeError as error:
                raise ValueError("undecodable", f"{name} BOM but invalid bytes at {error.start}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        utf8_error = error
    else:
        if _control_ratio(text) > 0.01:
            raise ValueError("binary", "control characters in UTF-8 data")
        return text, "utf-8"
    if utf8_error.start >= len(data) - 3 and utf8_error.reason == "unexpected end of data":
        # A file cut inside its last character: keep what is whole and say so.
        return data[: utf8_error.start].decode("utf-8"), "utf-8-truncated"
    candidates = []
    for name in ("utf-16-le", "utf-16-be", "gb18030", "big5"):
        if name.startswith("utf-16") and len(data) % 2:
            continue
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if _control_ratio(text) <= 0.01:
            candidates.append((_plausibility(text), name, text))
    if candidates:
        score, name, text = max(candidates)
        if score >= MIN_PLAUSIBILITY:
            return text, name
    if b"\x00" in data or _control_ratio(data.decode("latin-1")) > 0.05:
        raise ValueError("binary", "NUL or control bytes; no text encoding fits")
    raise ValueError("undecodable", f"not UTF-8 (byte {utf8_error.start}), UTF-16, GB18030 or Big5")


MIN_PLAUSIBILITY = -10.5  # mean log frequency of characters; mis-decoded text is mostly rare characters


def _plausibility(text: str) -> float:
    """Mean log frequency of the text's characters in Chinese news (People's Daily)."""
    from pipeline.components.clean.charlm import default_lm

    counts = default_lm().counts
    total = default_lm().total
    sample = [ch for ch in text[:4000] if not ch.isspace()]
    if not sample:
        return 0.0
    return sum(math.log((counts.get(ch, 0) + 0.1) / total) if not ch.isascii() else -6.0 for ch in sample) / len(sample)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _control_ratio(text: str) -> float:
    """Share of control characters other than tab, line feed, carriage return, form feed."""
    return len(_CONTROL.findall(text)) / max(1, len(text))


def find_inputs(paths: list[str]) -> list[Path]:
    """Every entry under the given files/folders that is not a folder (regular files, links,
    FIFOs, devices: the non-regular ones are quarantined by :func:`read_units` unopened),
    recursively, in a stable order."""
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir())
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: input path does not exist (config key 'inputs')")
    return sorted(set(found), key=lambda p: p.as_posix())


def input_roots(paths: list[str]) -> list[Path]:
    """The folders ids are taken relative to: each input folder, or a file's own folder."""
    return [Path(entry) if Path(entry).is_dir() else Path(entry).parent for entry in paths]


def document_id(path: Path, roots: list[Path]) -> str:
    """An input file's id: its path relative to its input root, without the suffix
    (``2022-10-01/index``), so files of the same name in different folders never collide."""
    for root in sorted(roots, key=lambda r: -len(r.parts)):  # the deepest root that holds it
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue
        return relative.with_suffix("").as_posix() if relative.suffix else relative.as_posix()
    return path.stem


def read_bounded(path: Path, max_file_mb: float) -> bytes | None:
    """The file's bytes, or None when it is over ``max_file_mb`` (read no further than that,
    whatever ``stat`` said: a link to /dev/zero or a growing file cannot run without bound)."""
    limit = int(max_file_mb * 1024 * 1024)
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def jsonl_lines(text: str) -> list[str]:
    """The lines of a JSON-lines text: cut at \\n only (``str.splitlines`` would also cut at
    U+2028 and other separators that may stand inside a JSON string)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def read_units(path: Path, max_file_mb: float, doc_id: str | None = None, max_jsonl_mb: float | None = None) -> tuple[list[Unit], list[Quarantined]]:
    """Read one input file into units, or quarantine records saying why not. ``doc_id``: the
    file's id (:func:`document_id`; default its stem); ``max_jsonl_mb``: the limit for a
    JSON-lines file (default ``max_file_mb``)."""
    name = path.as_posix()
    doc_id = doc_id or path.stem
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return [], [Quarantined(name, "unsupported_type", f"suffix {path.suffix or '(none)'!r}")]
    if kind == "jsonl" and max_jsonl_mb is not None:
        max_file_mb = max_jsonl_mb
    try:
        mode = os.stat(path).st_mode  # follows links: a link to a FIFO or /dev/zero is not a file
        if not stat.S_ISREG(mode):
            return [], [Quarantined(name, "not_a_file", f"a {_file_kind(mode)}, not a regular file")]
        size = os.stat(path).st_size
        if size > max_file_mb * 1024 * 1024:
            return [], [Quarantined(name, "too_large", f"{size} bytes > max_file_mb={max_file_mb}")]
        data = read_bounded(path, max_file_mb)
        if data is None:
            return [], [Quarantined(name, "too_large", f"more than max_file_mb={max_file_mb} read (the file grew)")]
    except OSError as error:
        return [], [Quarantined(name, "unreadable", error.strerror or str(error))]
    if not data:
        return [], [Quarantined(name, "empty", "0 bytes")]
    try:
        text, encoding = decode(data)
    except ValueError as error:
        reason, detail = error.args
        return [], [Quarantined(name, reason, detail)]
    if kind == "jsonl":
        return _jsonl_units(path, text, encoding, doc_id)
    if not text.strip():
        return [], [Quarantined(name, "whitespace_only", f"{len(text)} whitespace characters")]
    return [Unit(id=doc_id, text=text, source_file=name, encoding=encoding, format=kind)], []


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder")):
        if test(mode):
            return kind
    return "special file"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value) -> bool:
    """A string (anywhere in a parsed JSON value) holding an escaped lone surrogate, which
    no UTF-8 writer can encode."""
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def _jsonl_units(path: Path, text: str, encoding: str, stem: str | None = None) -> tuple[list[Unit], list[Quarantined]]:
    units, rejected = [], []
    name = path.as_posix()
    stem = stem or path.stem
    lines = jsonl_lines(text)
    if not any(line.strip() for line in lines):  # blank, or only a BOM: still one ledger row
        return [], [Quarantined(name, "whitespace_only" if text else "empty", "no JSON line in the file")]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            rejected.append(Quarantined(name, "malformed_json", error.msg, number))
            continue
        except RecursionError:
            rejected.append(Quarantined(name, "malformed_json", "nested too deeply", number))
            continue
        try:
            surrogate = _lone_surrogate(obj)
        except RecursionError:
            rejected.append(Quarantined(name, "malformed_json", "nested too deeply", number))
            continue
        if surrogate:
            rejected.append(Quarantined(name, "malformed_json", "a string escapes a lone surrogate (\\ud800-\\udfff)", number))
            continue
        if not isinstance(obj, dict):
            rejected.append(Quarantined(name, "malformed_json", f"a {type(obj).__name__}, not an object", number))
            continue
        doc_id = obj.get("id", f"{stem}-L{number}")
        if "text" not in obj:
            rejected.append(Quarantined(name, "missing_text", "no 'text' field", number, str(doc_id)))
            continue
        bad = [key for key in ("id", "text", "title", "date", "url") if key in obj and not isinstance(obj[key], str)]
        if bad:
            rejected.append(Quarantined(name, "bad_field_type", f"not a string: {', '.join(bad)}", number, str(doc_id)))
            continue
        meta = {key: obj[key] for key in ("title", "date", "url") if obj.get(key)}
        units.append(Unit(doc_id, obj["text"], name, encoding, "jsonl", number, meta))
    return units, rejected
