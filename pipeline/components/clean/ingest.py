"""The clean stage (``zh.clean.rules.v1``) as a whole batch: read every input, clean it, set
aside what cannot be used, find duplicates, and deal the records into shards by a stable
hash of their id.

Every article found ends up in exactly one place: a shard (processed) or the quarantine
list with a reason from ``pipeline.readers.QUARANTINE_REASONS``.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

from pipeline.components.clean.charlm import CharTrigramLM, LazyLM
from pipeline.components.clean.cleaner import chinese_ratio, clean_unit
from pipeline.components.clean.readers import document_id, find_inputs, input_roots, Quarantined, read_units, Unit
from pipeline.config import with_defaults

VERSION = "zh.clean.rules.v1"
SHINGLE = 5  # characters per shingle for near-duplicate detection
SAMPLE_MOD = 8
MAX_POSTING = 64  # sampled 5-grams shared by more documents than this are ignored  # keep shingles whose hash ≡ 0 (mod 8) as the candidate index


def shard_of(doc_id: str, shards: int) -> int:
    """A stable shard number: the same id lands in the same shard on every machine."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % shards


@dataclass
class Batch:
    records: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    units: int = 0
    articles: int = 0
    rejected_articles: int = 0
    unit_keys: list[str] = field(default_factory=list)
    duplicate_log: list[list] = field(default_factory=list)


def _fingerprints(text: str) -> set[int]:
    """CRC-32 of every character 5-gram (stable across runs and machines, unlike hash())."""
    compact = "".join(text.split())
    return {zlib.crc32(compact[i : i + SHINGLE].encode("utf-8")) for i in range(max(1, len(compact) - SHINGLE + 1))}


class DuplicateFinder:
    """Exact duplicates by text hash; near duplicates by Jaccard similarity of character
    5-gram sets, compared only for pairs sharing a sampled 5-gram (so it stays fast).

    ``samples`` (text digest → sampled 5-grams) may come from the last run: then only
    texts not seen before are fingerprinted, and full 5-gram sets are computed only for
    the pairs that get compared.

    ``history`` is the last run's ``log``: one ``[chain, outcome]`` per ``check`` call, where
    ``chain`` hashes every (id, text, date) checked so far. An outcome depends only on the
    documents checked before it, so while this run's chain equals the last run's, the last
    outcome is taken over and the document only registered (no candidate search); from
    the first difference on, every document is checked afresh. A batch that only gained
    files at its end is thus checked for the new documents alone.
    """

    def __init__(self, threshold: float, samples: dict[str, list[int]] | None = None,
                 ratios: dict[str, float] | None = None, history: list | None = None):
        self.threshold = threshold
        self.samples = {} if samples is None else samples
        self.ratios = {} if ratios is None else ratios
        self.history = history or []
        self.log: list[list] = []
        self.chain = ""
        self.exact: dict[str, str] = {}
        self.index: dict[int, list[str]] = {}
        self.texts: dict[str, str] = {}
        self.prints: dict[str, set[int]] = {}  # filled lazily
        self.sample_sizes: dict[str, int] = {}
        self.dates: dict[str, str | None] = {}

    def chinese_ratio(self, text: str) -> float:
        """:func:`pipeline.clean.chinese_ratio`, kept with the samples (same text digest)."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest not in self.ratios:
            self.ratios[digest] = chinese_ratio(text)
        return self.ratios[digest]

    def _prints(self, doc_id: str, text: str) -> set[int]:
        if doc_id not in self.prints:
            self.prints[doc_id] = _fingerprints(text)
        return self.prints[doc_id]

    def _sample(self, doc_id: str, text: str, digest: str) -> list[int]:
        if digest not in self.samples:
            self.samples[digest] = sorted(p for p in self._prints(doc_id, text) if p % SAMPLE_MOD == 0)
        return self.samples[digest]

    def check(self, doc_id: str, text: str, date: str | None = None) -> tuple[str, str] | None:
        """``(reason, kept_id)`` if ``text`` duplicates an earlier document, else None.
        Templated reports of different days (same wording, new figures) are not near
        duplicates: a differing ``date`` rules a near duplicate out."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.chain = hashlib.sha256("\0".join((self.chain, doc_id, digest, date or "")).encode("utf-8")).hexdigest()[:32]
        position = len(self.log)
        if position < len(self.history) and self.history[position][0] == self.chain:
            outcome = tuple(self.history[position][1]) if self.history[position][1] else None
        else:
            self.history = []  # diverged: nothing after this point can be taken over
            outcome = self._search(doc_id, text, digest, date)
        if outcome is None:
            self._register(doc_id, text, digest, date)
        self.log.append([self.chain, list(outcome) if outcome else None])
        return outcome

    def _search(self, doc_id: str, text: str, digest: str, date: str | None) -> tuple[str, str] | None:
        if digest in self.exact:
            return "exact_duplicate", self.exact[digest]
        sample = self._sample(doc_id, text, digest)
        postings = (self.index.get(p, ()) for p in sample)
        # A 5-gram shared by very many documents is boilerplate (央视网消息): no evidence.
        candidates = Counter(chain.from_iterable(x for x in postings if len(x) <= MAX_POSTING))
        for other, shared in sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0])):
            # Near duplicates share most sampled 5-grams; boilerplate openings share few.
            if shared < 0.5 * min(len(sample), self.sample_sizes[other]):
                break
            prints, theirs = self._prints(doc_id, text), self._prints(other, self.texts[other])
            jaccard = len(prints & theirs) / max(1, len(prints | theirs))
            if jaccard >= self.threshold and not (date and self.dates.get(other) and date != self.dates[other]):
                return "near_duplicate", other
        return None

    def _register(self, doc_id: str, text: str, digest: str, date: str | None) -> None:
        """A kept document: later ones are compared with it."""
        sample = self._sample(doc_id, text, digest)
        self.exact[digest] = doc_id
        self.texts[doc_id] = text
        self.sample_sizes[doc_id] = len(sample)
        self.dates[doc_id] = date
        for p in sample:
            self.index.setdefault(p, []).append(doc_id)


def load(config: dict | None = None) -> LazyLM:
    """The clean component's model: the character trigram model that scores paragraph joins,
    loaded only when a join is scored."""
    return LazyLM()


def predict(units: list[Unit], lm: CharTrigramLM | LazyLM) -> list[list[dict]]:
    """The records each input unit cleans into (a page may hold several articles).

    Clean is the one batch component: it makes the records the other stages annotate, so it
    has no ``set_annotations``; :func:`ingest` checks, de-duplicates and deals what it returns.
    """
    return [clean_unit(unit, lm) for unit in units]


def unit_key(unit) -> str:
    """What a unit's cleaned records depend on, besides the cleaner's code and model."""
    parts = [unit.id, unit.text, unit.source_file, unit.encoding, unit.format, str(unit.source_line), repr(sorted(unit.meta.items()))]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def ingest(inputs: list[str], settings: dict, lm: CharTrigramLM | None = None, cache: dict | None = None,
           samples: dict | None = None, ratios: dict | None = None, history: list | None = None) -> Batch:
    """Read, clean, check and de-duplicate every input; pure apart from reading files.

    ``cache`` maps ``unit_key`` → the records cleaning that unit gave last time (same
    cleaner), ``samples`` and ``ratios`` a text digest → its sampled 5-grams (see
    DuplicateFinder) and Chinese share; all are read and filled in place, so unchanged
    inputs are not cleaned, measured or fingerprinted again. ``history`` is the last run's
    ``Batch.duplicate_log`` (see DuplicateFinder).
    """
    settings = with_defaults("clean", settings)
    cache = {} if cache is None else cache
    batch = Batch()
    duplicates = DuplicateFinder(settings["near_duplicate_jaccard"], samples, ratios, history)
    batch.duplicate_log = duplicates.log
    seen_ids: dict[str, str] = {}
    roots = input_roots(inputs)
    for path in find_inputs(inputs):
        batch.files.append(path.as_posix())
        units, rejected = read_units(path, settings["max_file_mb"], document_id(path, roots), settings["max_jsonl_mb"])
        batch.quarantined.extend(q.to_dict() for q in rejected)
        for unit in units:
            batch.units += 1
            key = unit_key(unit)
            batch.unit_keys.append(key)
            if key not in cache:
                lm = lm or LazyLM()
                (cache[key],) = predict([unit], lm)
            for record in cache[key]:  # shared with the cache: nothing downstream mutates a record
                batch.articles += 1
                problem = _check(record, settings, seen_ids, duplicates)
                if problem:
                    batch.rejected_articles += 1
                    reason, detail, kept = problem
                    batch.quarantined.append(Quarantined(
                        record["meta"]["source_file"], reason, detail, record["meta"].get("source_line"), record["id"], kept
                    ).to_dict())
                else:
                    seen_ids[record["id"]] = record["meta"]["source_file"]
                    batch.records.append(record)
    return batch


def _check(record: dict, settings: dict, seen_ids: dict, duplicates: DuplicateFinder) -> tuple[str, str, str | None] | None:
    text = record["text"]
    if not text.strip():
        return "whitespace_only", "no text left after cleaning", None
    ratio = duplicates.chinese_ratio(text)
    if ratio < settings["min_chinese_ratio"] or len(text.strip()) < settings["min_chars"]:
        return "not_chinese", f"Chinese share {ratio:.2f} < min_chinese_ratio {settings['min_chinese_ratio']}", None
    if record["id"] in seen_ids:
        return "duplicate_id", f"id also in {seen_ids[record['id']]}", record["id"]
    duplicate = duplicates.check(record["id"], text, record["meta"].get("date"))
    if duplicate:
        reason, kept = duplicate
        return reason, f"same text as {kept}" if reason == "exact_duplicate" else f"near-duplicate of {kept}", kept
    return None


def deal(records: list[dict], shards: int) -> list[list[dict]]:
    """Records into shards by id hash, each shard sorted by id (stable bytes)."""
    dealt: list[list[dict]] = [[] for _ in range(shards)]
    for record in records:
        dealt[shard_of(record["id"], shards)].append(record)
    return [sorted(shard, key=lambda r: r["id"]) for shard in dealt]


def input_digest(files: list[str]) -> str:
    """A hash over input file names and bytes: the clean stage's input version. Only regular
    files are read (a FIFO would block, a link to /dev/zero never end), in blocks."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        try:
            if not stat.S_ISREG(os.stat(name).st_mode):
                digest.update(b"<not a file>")
                continue
            with open(name, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()[:16]
