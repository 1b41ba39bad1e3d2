"""``pipeline.annotate``: every stage in this process, no Snakemake.

The same components as the workflow, built from the same config (the schema's defaults, with
any sections you pass on top), each loaded once per process and kept; the records are those
the workflow writes for the same text (``id`` is ``text-`` and a hash of the text)::

    >>> import pipeline
    >>> record = pipeline.annotate("马斯克警告说，人工智能比核武器更危险。")
    >>> record["stance"]["sentences"][0]["holder"], record["stance"]["sentences"][0]["stance"]
    ('马斯克', 'concerned')

Documents the workflow would quarantine (no Chinese text left after cleaning) raise
``ValueError`` here; duplicates are not looked for, each text stands alone.
"""

from __future__ import annotations

import hashlib
import json

from pipeline.components import Component
from pipeline.components.clean import ingest
from pipeline.components.clean.readers import Unit
from pipeline.config import defaults, with_defaults
from pipeline.stages import STAGES, component_for

_BUILT: dict[tuple[str, str], Component] = {}


def workflow_config(config: dict | None = None) -> dict:
    """The schema's defaults with ``config``'s stage sections laid over them, checked."""
    merged = defaults()
    for key, value in (config or {}).items():
        merged[key] = with_defaults(key, {**merged[key], **value}) if isinstance(merged.get(key), dict) else value
    return merged


def component(stage: str, config: dict) -> Component:
    """The stage's component for ``config`` (its section), built once per process."""
    spec = component_for(stage, config)
    key = (spec.name, json.dumps(config, sort_keys=True, ensure_ascii=False))
    if key not in _BUILT:
        _BUILT[key] = Component(spec.name, config)
    return _BUILT[key]


def text_unit(text: str) -> Unit:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Unit(id=f"text-{digest}", text=text, source_file="<text>", encoding="utf-8", format="text")


def annotate(text_or_texts: str | list[str], config: dict | None = None) -> dict | list[dict]:
    """Records for a text (a page holding several articles gives a list) or a list of texts."""
    single = isinstance(text_or_texts, str)
    texts = [text_or_texts] if single else list(text_or_texts)
    for number, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"annotate: text {number} is a {type(text).__name__}, not a str")
    settings = workflow_config(config)
    lm = ingest.load(settings["clean"])
    records = []
    for text, articles in zip(texts, ingest.predict([text_unit(t) for t in texts], lm)):
        kept = [record for record in articles if record["text"].strip()]
        if not kept:
            raise ValueError(f"annotate: no text left after cleaning {text[:40]!r}")
        records.extend(kept)
    for entry in STAGES:
        if entry.job == "shard":
            records = component(entry.name, settings[entry.name])(records)
    return (records[0] if len(records) == 1 else records) if single else records
