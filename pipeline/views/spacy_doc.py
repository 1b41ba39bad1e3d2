"""spaCy interop: document records ↔ spaCy ``Doc``s, and export to DocBin, JSON lines, CoNLL.

``pipeline.load(path)`` returns ``Doc``s whose words are the ``tok`` layer, whose
``doc.ents`` are the NER mentions, whose sentences are the ``sentences`` layer, and which
carry stance, holder and summary as extension attributes:

- ``doc._.doc_id``, ``doc._.meta``, ``doc._.stance_profile``, ``doc._.summary``
- ``doc.spans["stance"]``: the AI sentences, each with ``span._.stance``, ``span._.score``
  and ``span._.holder``; ``doc.spans["summary"]``: the summary sentences.

No model is loaded: the vocabulary is a blank multilingual one.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.record.codec import read_jsonl
from pipeline.spacy_import import import_spacy

spacy = import_spacy()
from spacy.tokens import Doc, DocBin, Span  # noqa: E402  (after import_spacy, which avoids torch)

for _name in ("doc_id", "meta", "stance_profile", "summary"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)
for _name in ("stance", "score", "holder"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)

_NLP = None


def _vocab():
    global _NLP
    if _NLP is None:
        _NLP = spacy.blank("xx")
    return _NLP.vocab


def record_to_doc(record: dict, vocab=None) -> Doc:
    """A ``Doc`` whose text is exactly the record's text (gaps between words other than a
    single space become whitespace tokens), so record offsets are ``Doc`` offsets.
    ``vocab``: the vocabulary of the ``Language`` the Doc belongs to (default: a blank one)."""
    text = record["text"]
    # Token boundaries, plus every span boundary, so each entity, sentence and summary
    # piece is a whole number of tokens (a segmenter slip like 埃隆是 must not swallow 埃隆).
    cuts = {0, len(text)}
    for _, begin, end in record.get("tok") or [[ch, i, i + 1] for i, ch in enumerate(text)]:
        cuts.update((begin, end))
    for _, _, begin, end in record.get("ner", []):
        cuts.update((begin, end))
    for begin, end in record.get("sentences", []):
        cuts.update((begin, end))
    for sentence in record.get("stance", {}).get("sentences", []):
        cuts.update((sentence["begin"], sentence["end"]))
    for _, begin, end in record.get("summary", {}).get("sentences", []):
        cuts.update((begin, end))
    points = sorted(cuts)
    words, spaces = [], []
    for begin, end in zip(points, points[1:]):
        piece = text[begin:end]
        # Split whitespace from words so a word never carries a line break.
        for part in re.findall(r"\s+|\S+", piece):
            if part == " " and words and not words[-1].isspace():
                spaces[-1] = True
            else:
                words.append(part)
                spaces.append(False)
    doc = Doc(vocab or _vocab(), words=words, spaces=spaces)
    starts = {begin for begin, _ in record.get("sentences", [])}
    for token in doc:
        token.is_sent_start = token.i == 0 or token.idx in starts

    def char_span(begin: int, end: int, label: str = "") -> Span | None:
        return doc.char_span(begin, end, label=label, alignment_mode="expand")

    ents = []
    for _, label, begin, end in record.get("ner", []):
        span = char_span(begin, end, label)
        if span is not None and all(span.start >= other.end or span.end <= other.start for other in ents):
            ents.append(span)
    doc.ents = ents
    stance_spans = []
    for sentence in record.get("stance", {}).get("sentences", []):
        span = char_span(sentence["begin"], sentence["end"])
        if span is not None:
            span._.stance, span._.score, span._.holder = sentence["stance"], sentence.get("score"), sentence.get("holder")
            stance_spans.append(span)
    doc.spans["stance"] = stance_spans
    doc.spans["summary"] = [s for s in (char_span(b, e) for _, b, e in record.get("summary", {}).get("sentences", [])) if s is not None]
    doc._.doc_id = record["id"]
    doc._.meta = record.get("meta")
    doc._.stance_profile = record.get("stance", {}).get("profile")
    doc._.summary = record.get("summary", {}).get("text")
    return doc


def read_records(path: str | Path) -> list[dict]:
    """Records from a ``.jsonl`` file, or from an output folder's final stage."""
    path = Path(path)
    if path.is_file():
        return list(read_jsonl(path))
    folder = path / "summarize" if (path / "summarize").is_dir() else path
    records = []
    for shard in sorted(folder.glob("shard-*.jsonl")):
        records.extend(read_jsonl(shard))
    if not records:
        raise FileNotFoundError(f"{path}: no document records (expected shard-*.jsonl or an output folder)")
    return sorted(records, key=lambda r: r["id"])


def load(path: str | Path) -> list[Doc]:
    """spaCy ``Doc``s for every record of an artifact (file or output folder)."""
    return [record_to_doc(record) for record in read_records(path)]


def to_docbin(docs: list[Doc]) -> bytes:
    return DocBin(store_user_data=True, docs=docs).to_bytes()


def from_docbin(data: bytes) -> list[Doc]:
    return list(DocBin(store_user_data=True).from_bytes(data).get_docs(_vocab()))


def to_conll(docs: list[Doc]) -> str:
    """One token per line: index, word, BIO entity tag; a blank line after each sentence;
    ``# doc_id = …`` before each document. Whitespace tokens (line breaks between paragraphs)
    are not words and are left out, and the id is written on one line, so every line is
    well-formed."""
    lines = []
    for doc in docs:
        doc_id = re.sub(r"\s+", "_", str(doc._.doc_id))
        lines.append(f"# doc_id = {doc_id}")
        for sentence in doc.sents:
            words = [token for token in sentence if not token.is_space]
            for number, token in enumerate(words, 1):
                tag = f"{token.ent_iob_}-{token.ent_type_}" if token.ent_type_ else "O"
                lines.append(f"{number}\t{token.text}\t{tag}")
            if words:
                lines.append("")
    return "\n".join(lines) + "\n"
