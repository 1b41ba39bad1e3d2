"""The stage table, the component contract, the in-process API and the package layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import stages
from pipeline.components import Component, ContractError
from pipeline.paths import REPO_ROOT
from pipeline.record.schema import record_errors
from pipeline.running.versions import _module_path, _project_imports


def test_stages_command_prints_the_table_as_json():
    result = subprocess.run([sys.executable, "-m", "pipeline", "stages", "--json"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout.splitlines()[-1])
    assert [row["name"] for row in rows] == ["clean", "segment", "ner", "stance", "summarize"]
    by_name = {row["name"]: row for row in rows}
    assert by_name["stance"]["component"] == "zh.stance.e5mlp.v1"  # learned; the rules stay registered
    assert {"zh.stance.cues.v2", "zh.stance.e5mlp.v1"} <= set(by_name["stance"]["components"])
    assert "tok" in by_name["ner"]["requires"] and by_name["ner"]["assigns"] == ["ner", "entities", "tok"]
    assert "pipeline/components/segment.py" in by_name["segment"]["modules"]
    for row in rows:
        assert all((REPO_ROOT / module).is_file() for module in row["modules"]), row["name"]
        assert not any(module.startswith("pipeline/views/") for module in row["modules"]), row["name"]


def test_every_layer_a_stage_requires_comes_from_an_earlier_stage():
    available: set[str] = set()
    for entry in stages.STAGES:
        spec = stages.component_for(entry.name)
        assert set(spec.requires) <= available, entry.name
        available |= set(spec.assigns)


def test_an_unknown_component_is_named_with_the_known_ones():
    with pytest.raises(ValueError) as error:
        stages.component_for("stance", {"component": "zh.stance.magic.v9"})
    assert "zh.stance.magic.v9" in str(error.value) and "zh.stance.cues.v2" in str(error.value)
    with pytest.raises(ValueError):
        stages.component_for("stance", {"component": "zh.segment.crf_lexicon.v2"})  # another stage's


def test_a_component_that_writes_outside_its_assigns_is_stopped(monkeypatch):
    component = Component("zh.summarize.clause_mmr.v1", {})
    record = {"id": "d", "text": "人工智能发展很快。专家认为风险可控。", "meta": {}, "sentences": [[0, 9], [9, 18]]}
    (out,) = component([record])
    assert "summary" in out and "summary" not in record  # inputs are not changed

    def sloppy(records, summaries):
        for r, s in zip(records, summaries):
            r["summary"], r["text"] = s, r["text"].upper()

    monkeypatch.setattr(component.module, "set_annotations", sloppy)
    with pytest.raises(ContractError, match="text"):
        component([record])


def test_a_component_refuses_records_without_the_layers_it_requires():
    component = Component("zh.stance.cues.v2", {})
    with pytest.raises(ContractError, match="entities"):
        component([{"id": "d", "text": "人工智能。", "sentences": [[0, 5]]}])


def test_annotate_runs_every_stage_in_process_like_the_workflow():
    import pipeline

    record = pipeline.annotate("马斯克警告说，人工智能比核武器更危险。")
    for layer in ("tok", "ner", "entities", "stance", "summary"):
        assert layer in record, layer
    assert record_errors(record) == []
    (entry,) = record["stance"]["sentences"]
    assert entry["stance"] == "concerned" and "马斯克" in entry["holder"]
    assert ["马斯克", "PER", 0, 3] in record["ner"]
    again = pipeline.annotate(["马斯克警告说，人工智能比核武器更危险。"])
    assert again == [record]  # same text, same record
    with pytest.raises(ValueError):
        pipeline.annotate("   ")


def test_nlp_is_a_spacy_language_with_our_components():
    import pipeline

    nlp = pipeline.nlp()
    assert nlp.pipe_names == ["zhnlp_ner", "zhnlp_stance", "zhnlp_summarize"]
    text = "马斯克警告说，人工智能比核武器更危险。"
    doc = nlp(text)
    assert doc.text == text
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("马斯克", "PER")]
    (span,) = doc.spans["stance"]
    assert span._.stance == "concerned" and "马斯克" in span._.holder
    assert doc._.summary and doc._.stance_profile["counts"]["concerned"] == 1
    assert [token.text for token in doc][:3] == ["马斯克", "警告", "说"]


def _project_modules() -> dict[str, Path]:
    modules = {}
    for path in (REPO_ROOT / "pipeline").rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def test_no_import_cycles_in_the_package():
    modules = _project_modules()
    graph = {name: {dep for dep in _project_imports(path) if dep in modules and dep != name} for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " → ".join(trail[trail.index(dep):] + [dep]) if dep in trail else dep)
            if dep not in state:
                visit(dep, trail + [dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert _module_path("pipeline.stages") is not None
