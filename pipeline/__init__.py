"""A reproducible Chinese NLP pipeline: clean → segment → ner → stance → summarize.

Start with :mod:`pipeline.stages` (the stage table: order, components, layers) and
:mod:`pipeline.components` (what a component is). The Snakemake workflow (``Snakefile``)
runs the stages as versioned artifacts; in Python:

* :func:`annotate` runs every stage in this process and returns the records;
* :func:`nlp` returns a spaCy ``Language`` whose pipes are our components;
* :func:`load` reads a finished run as spaCy ``Doc``s.

The three are reached through ``importlib`` on purpose: every stage job imports this package,
and a stage's version covers the code it imports (:func:`pipeline.running.versions.code_closure`
reads import statements), so the API's modules must not be part of every stage.
"""

from importlib import import_module

__version__ = "0.2.0"


def annotate(text_or_texts, config: dict | None = None):
    """Run clean → summarize on a text (returns one record) or a list of texts (a list)."""
    return import_module("pipeline.api").annotate(text_or_texts, config)


def nlp(config: dict | None = None):
    """A ``spacy.Language`` for Chinese: our segmenter as tokenizer, our NER, stance and
    summary components as pipes (``doc.ents``, ``doc.spans["stance"]``, ``doc._.summary``)."""
    return import_module("pipeline.views.spacy_pipes").nlp(config)


def load(path):
    """Load a pipeline artifact (a ``docs.jsonl`` file or an output folder) as spaCy ``Doc``s."""
    return import_module("pipeline.views.spacy_doc").load(path)
