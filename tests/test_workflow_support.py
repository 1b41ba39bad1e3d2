"""The helpers the Snakefile relies on: which project modules a stage's code depends on
(Snakemake does not track imports itself) and the end-of-run hook."""

from __future__ import annotations

import threading
import time

from pipeline.running import versions as artifacts
from pipeline.running import workflow


def test_project_imports_finds_every_form_of_project_import(tmp_path):
    source = tmp_path / "stage.py"
    source.write_text(
        '"""A stage."""\n'
        "import json\n"
        "import pipeline.record as record\n"
        "from pipeline.paths import REPO_ROOT\n"
        "from pipeline.evaluate import (\n"
        "    ner,\n"
        "    segment,\n"
        ")\n"
        "from pipelines_elsewhere import nothing\n"
        "\n"
        "def load():\n"
        "    from pipeline.spacy_import import import_spacy  # lazy, inside a function\n"
        "    return import_spacy\n",
        encoding="utf-8",
    )
    artifacts._project_imports.cache_clear()
    found = set(artifacts._project_imports(source))
    assert {"pipeline.record", "pipeline.paths", "pipeline.evaluate", "pipeline.evaluate.ner",
            "pipeline.evaluate.segment", "pipeline.spacy_import"} <= found
    assert not any(name.startswith("pipelines_elsewhere") or name == "json" for name in found)


def test_code_closure_follows_imports_transitively():
    closure = artifacts.code_closure("pipeline.components.ner")
    # ner imports spacy_import lazily, the gazetteer reader and the record's text utilities
    assert "pipeline/components/ner.py" in closure
    assert "pipeline/spacy_import.py" in closure
    assert "pipeline/components/gazetteer.py" in closure
    assert "pipeline/record/text.py" in closure
    assert "pipeline/components/__init__.py" in closure  # a parent package's __init__ runs too
    assert "pipeline/components/stance/cues.py" not in closure


def test_cancel_idle_timers_ends_pending_timers_at_once():
    fired = []
    timer = threading.Timer(30, lambda: fired.append(True))
    timer.start()
    started = time.perf_counter()
    workflow.cancel_idle_timers()
    timer.join(timeout=5)
    assert not timer.is_alive()
    assert time.perf_counter() - started < 5
    assert not fired
