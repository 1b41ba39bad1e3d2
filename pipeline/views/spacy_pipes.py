"""Our stages inside spaCy: ``pipeline.nlp()`` is a ``spacy.Language`` for Chinese whose
tokenizer is our segmenter and whose pipes are our NER, stance and summary components,
registered as spaCy factories (``zhnlp_ner``, ``zhnlp_stance``, ``zhnlp_summarize``, in
:mod:`pipeline.views.spacy_factories`, also declared as ``spacy_factories`` entry points in
``pyproject.toml``)::

    >>> import pipeline
    >>> doc = pipeline.nlp()("马斯克警告说，人工智能比核武器更危险。")
    >>> [(ent.text, ent.label_) for ent in doc.ents][:1], doc.spans["stance"][0]._.holder
    ([('马斯克', 'PER')], '埃隆·马斯克')

Each Doc carries its document record (``doc._.record``); a pipe runs its component on the
record and returns the Doc rebuilt from it (:func:`pipeline.views.spacy_doc.record_to_doc`),
so ``doc.ents``, ``doc.spans["stance"]``, ``doc._.summary`` … are exactly what
``pipeline.load()`` gives for the workflow's output. ``nlp(text)`` annotates the text as
given; to clean a raw page first, use :func:`pipeline.annotate`.
"""

from __future__ import annotations

import hashlib

from pipeline.api import component, workflow_config
from pipeline.record.text import split_sentences
from pipeline.views.spacy_doc import record_to_doc, spacy
from pipeline.views.spacy_factories import PIPES

from spacy.language import Language  # noqa: E402  (spacy_doc imported spaCy without torch)
from spacy.tokens import Doc  # noqa: E402

if not Doc.has_extension("record"):
    Doc.set_extension("record", default=None)

class SegmenterTokenizer:
    """Our segment component as spaCy's tokenizer: text → record with ``tok`` → Doc."""

    def __init__(self, vocab, config: dict | None = None):
        self.vocab = vocab
        self.config = config or {}

    def __call__(self, text: str) -> Doc:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        record = {"id": f"text-{digest}", "text": text, "meta": {}, "sentences": split_sentences(text)}
        (record,) = component("segment", self.config)([record])
        return _to_doc(record, self.vocab)


class RecordPipe:
    """One of our components as a spaCy pipe."""

    def __init__(self, stage: str, config: dict):
        self.stage, self.config = stage, config

    def __call__(self, doc: Doc) -> Doc:
        (record,) = component(self.stage, self.config)([doc._.record])
        return _to_doc(record, doc.vocab)


def _to_doc(record: dict, vocab) -> Doc:
    doc = record_to_doc(record, vocab)
    doc._.record = record
    return doc


def nlp(config: dict | None = None) -> Language:
    """A Chinese ``Language`` with our segmenter and the pipes ``zhnlp_ner``, ``zhnlp_stance``,
    ``zhnlp_summarize``; ``config``: stage sections laid over the schema's defaults."""
    settings = workflow_config(config)
    language = spacy.blank("zh")
    language.tokenizer = SegmenterTokenizer(language.vocab, settings["segment"])
    for stage in PIPES:
        language.add_pipe(f"zhnlp_{stage}", config={"config": settings[stage]})
    return language
