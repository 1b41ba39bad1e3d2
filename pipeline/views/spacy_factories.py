"""Our components as spaCy factories: ``zhnlp_ner``, ``zhnlp_stance``, ``zhnlp_summarize``.

spaCy imports this module through the ``spacy_factories`` entry points (``pyproject.toml``)
whenever it looks for a factory it does not know, in any process that uses spaCy, our stage
jobs included; so it registers the names and nothing else, and the pipes themselves
(:class:`pipeline.views.spacy_pipes.RecordPipe`) are imported only when one is built.
"""

from __future__ import annotations

from importlib import import_module

from spacy.language import Language

PIPES = ("ner", "stance", "summarize")
# What each pipe sets on the Doc (spaCy's analyze_pipes reads these).
ASSIGNS = {
    "ner": ["doc.ents", "doc._.record"],
    "stance": ["doc.spans", "doc._.stance_profile", "span._.stance", "span._.score", "span._.holder"],
    "summarize": ["doc.spans", "doc._.summary"],
}
REQUIRES = {"ner": ["doc._.record"], "stance": ["doc.ents", "doc._.record"], "summarize": ["doc._.record"]}


def _factory(stage: str):
    def make(nlp: Language, name: str, config: dict):
        pipes = import_module("pipeline.views.spacy_pipes")
        return pipes.RecordPipe(stage, pipes.workflow_config({stage: config})[stage])

    make.__name__ = f"make_{stage}"
    return make


make_ner, make_stance, make_summarize = (_factory(stage) for stage in PIPES)
for _stage, _make in zip(PIPES, (make_ner, make_stance, make_summarize)):
    if f"zhnlp_{_stage}" not in Language.factories:
        Language.factory(f"zhnlp_{_stage}", default_config={"config": {}},
                         assigns=ASSIGNS[_stage], requires=REQUIRES[_stage])(_make)
