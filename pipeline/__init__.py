"""A reproducible Chinese NLP pipeline: clean → segment → ner → stance → summarize.

Each stage is one module with pure functions from document record to document record;
the Snakemake workflow (``Snakefile``) wires them into versioned artifacts.
"""

__version__ = "0.1.0"


def load(path):
    """Load a pipeline artifact (a ``docs.jsonl`` file or an output folder) as spaCy ``Doc``s."""
    from pipeline.spacy_io import load as _load

    return _load(path)
