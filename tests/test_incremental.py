"""The per-shard output cache: a re-run annotates only documents whose input changed, gives
the same bytes as a run from nothing, and loads no model when nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.running import shard_job as runner
from pipeline.running.clean_job import run_clean

REPO = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))

ARTICLES = [
    ("a1", "人工智能大会在上海开幕。多位专家讨论了大模型的安全问题。"),
    ("a2", "北京市发布新的交通规划。地铁线路将延长到郊区。"),
    ("a3", "记者从气象局获悉，本周南方将迎来强降雨。请市民注意出行安全。"),
    ("a4", "某科技公司发布了新的芯片。该芯片主要用于数据中心。"),
]
NEW = ("a5", "国家队在比赛中获得冠军。教练表示球员发挥出色。")


def write_inputs(folder: Path, articles) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps({"id": i, "title": t[:6], "text": t}, ensure_ascii=False) for i, t in articles)
    (folder / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_through(inputs: Path, out: Path, stages=("segment", "summarize")) -> dict:
    """Clean into one shard, then each stage on it; returns each stage's timing record."""
    run_clean([str(inputs)], out / "clean", 1, CONFIG["clean"])
    timings, previous = {}, "clean"
    for stage in stages:
        runner.run_stage(stage, out / previous / "shard-000.jsonl", out / stage / "shard-000.jsonl", CONFIG[stage])
        timings[stage] = json.loads((out / stage / "shard-000.timing.json").read_text())
        previous = stage
    return timings


@pytest.fixture
def counted_loads(monkeypatch):
    loads = []
    original = runner.build_component

    def counting(stage, name, params):
        loads.append(stage)
        return original(stage, name, params)

    monkeypatch.setattr(runner, "build_component", counting)
    return loads


def test_adding_a_document_computes_only_it_and_matches_a_fresh_run(tmp_path, counted_loads):
    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    first = run_through(inputs, out)
    assert first["segment"]["computed"] == 4 and first["segment"]["reused"] == 0

    write_inputs(inputs, ARTICLES + [NEW])
    second = run_through(inputs, out)
    assert (second["segment"]["computed"], second["segment"]["reused"]) == (1, 4)
    assert (second["summarize"]["computed"], second["summarize"]["reused"]) == (1, 4)

    fresh = tmp_path / "fresh"
    run_through(inputs, fresh)
    for stage in ("segment", "summarize"):
        assert (out / stage / "shard-000.jsonl").read_bytes() == (fresh / stage / "shard-000.jsonl").read_bytes()


def test_nothing_changed_loads_no_model(tmp_path, counted_loads):
    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    run_through(inputs, out)
    counted_loads.clear()
    again = run_through(inputs, out)
    assert counted_loads == []
    assert again["segment"]["computed"] == 0 and again["segment"]["reused"] == 4


def test_an_edited_document_is_recomputed_and_its_old_output_not_reused(tmp_path, counted_loads):
    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    run_through(inputs, out)
    edited = [(i, t.replace("上海", "深圳")) for i, t in ARTICLES]
    write_inputs(inputs, edited)
    timings = run_through(inputs, out)
    assert timings["segment"]["computed"] == 1
    records = [json.loads(line) for line in (out / "segment" / "shard-000.jsonl").read_text().splitlines()]
    a1 = next(r for r in records if r["id"].startswith("a1") or "深圳" in r["text"])
    assert "深圳" in a1["text"] and any(tok[0] == "深圳" for tok in a1["tok"])


def test_a_changed_stage_config_invalidates_the_cache(tmp_path, counted_loads):
    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    run_through(inputs, out, stages=("summarize",))
    runner.run_stage("summarize", out / "clean" / "shard-000.jsonl", out / "summarize" / "shard-000.jsonl",
                     {**CONFIG["summarize"], "budget_chars": CONFIG["summarize"]["budget_chars"] + 1})
    timing = json.loads((out / "summarize" / "shard-000.timing.json").read_text())
    assert timing["computed"] == 4 and timing["reused"] == 0


def test_an_unknown_config_key_is_named_without_a_restore_hint(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    run_clean([str(inputs)], out / "clean", 1, CONFIG["clean"])
    with pytest.raises(RuntimeError) as caught:
        runner.run_stage("summarize", out / "clean" / "shard-000.jsonl", out / "summarize" / "shard-000.jsonl",
                         {**CONFIG["summarize"], "budget": 30})
    message = str(caught.value)
    assert "'budget'" in message and "git checkout" not in message


def test_a_document_that_breaks_a_stage_is_quarantined_and_the_rest_go_on(tmp_path, monkeypatch):
    from pipeline.components import summarize

    inputs, out = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, ARTICLES)
    run_clean([str(inputs)], out / "clean", 1, CONFIG["clean"])
    real = summarize.predict

    def breaks_on_a3(records, model):
        if any("气象局" in r["text"] for r in records):
            raise RuntimeError("boom")
        return real(records, model)

    monkeypatch.setattr(summarize, "predict", breaks_on_a3)
    counts = runner.run_stage("summarize", out / "clean" / "shard-000.jsonl", out / "summarize" / "shard-000.jsonl",
                              CONFIG["summarize"])
    assert counts == {"docs_in": 4, "docs_out": 3, "quarantined": 1}
    kept = [json.loads(line) for line in (out / "summarize" / "shard-000.jsonl").read_text().splitlines()]
    assert all("气象局" not in r["text"] and "summary" in r for r in kept)
    manifest = json.loads((out / "summarize" / "shard-000.manifest.json").read_text())
    (item,) = manifest["quarantined"]
    assert item["reason"] == "stage_error" and "boom" in item["detail"]
