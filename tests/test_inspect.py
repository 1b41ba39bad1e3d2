"""Inspecting results: the terminal view, diff, spaCy export and load, the HTML report in a
real headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import pipeline
from conftest import pipeline_cli
from pipeline.views.diff import diff_records
from pipeline.views.report import doc_filename
from pipeline.views.spacy_doc import from_docbin, read_records, record_to_doc, to_conll, to_docbin

MUSK = "002_666ca9bd639e9b56-1"


def test_show_renders_layers_in_colour(seed_run):
    from io import StringIO

    from rich.console import Console

    from pipeline.views.show import render

    record = next(r for r in read_records(seed_run / "outputs") if r["id"] == MUSK)
    buffer = StringIO()
    render(record, console=Console(file=buffer, force_terminal=True, width=120, color_system="truecolor"))
    out = buffer.getvalue()
    assert "\x1b[" in out and "马斯克" in out and "summary" in out and "AI-risk stance" in out
    buffer = StringIO()
    render(record, layers=["summary"], console=Console(file=buffer, force_terminal=False, width=120))
    assert "AI-risk stance" not in buffer.getvalue() and record["summary"]["text"][:10] in buffer.getvalue()


def test_show_unknown_document_names_it(seed_run):
    result = pipeline_cli(seed_run, "show", "no-such-doc", ok=False)
    assert result.returncode == 1 and "no-such-doc" in result.stderr


def test_load_and_docbin_round_trip(seed_run):
    docs = pipeline.load(seed_run / "outputs")
    records = read_records(seed_run / "outputs")
    assert len(docs) == 3
    for doc, record in zip(docs, records):
        assert doc.text == record["text"]
        assert [s.text for s in doc.spans["summary"]] == [t for t, _, _ in record["summary"]["sentences"]]
        assert {(e.text, e.label_) for e in doc.ents} <= {(t, label) for t, label, _, _ in record["ner"]}
    again = from_docbin(to_docbin(docs))
    for doc, back in zip(docs, again):
        assert back.text == doc.text and back._.doc_id == doc._.doc_id
        assert [(e.start_char, e.end_char, e.label_) for e in back.ents] == [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        assert [(s.text, s._.stance, s._.holder) for s in back.spans["stance"]] == [(s.text, s._.stance, s._.holder) for s in doc.spans["stance"]]
        assert [s.text for s in back.sents] == [s.text for s in doc.sents]


def test_export_formats(seed_run):
    for fmt, name in (("docbin", "docs.spacy"), ("jsonl", "docs.jsonl"), ("conll", "docs.conll")):
        pipeline_cli(seed_run, "export", "--format", fmt)
        assert (seed_run / "outputs" / "export" / name).stat().st_size > 0
    conll = (seed_run / "outputs" / "export" / "docs.conll").read_text()
    assert "# doc_id = 000_43a1417fc8ec1a8e" in conll and "B-PER" in conll
    lines = (seed_run / "outputs" / "export" / "docs.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == sorted(r["id"] for r in read_records(seed_run / "outputs"))


def test_conll_marks_entities_bio():
    record = {"id": "d", "text": "埃隆·马斯克访问北京。", "tok": [["埃隆·马斯克", 0, 6], ["访问", 6, 8], ["北京", 8, 10], ["。", 10, 11]],
              "sentences": [[0, 11]], "ner": [["埃隆·马斯克", "PER", 0, 6], ["北京", "LOC", 8, 10]]}
    assert to_conll([record_to_doc(record)]).splitlines()[1:5] == ["1\t埃隆·马斯克\tB-PER", "2\t访问\tO", "3\t北京\tB-LOC", "4\t。\tO"]


def test_diff_reports_added_removed_and_changes(seed_run):
    old = read_records(seed_run / "outputs")
    new = json.loads(json.dumps(old))
    removed = new.pop(0)
    new.append({**json.loads(json.dumps(old[1])), "id": "brand-new"})
    new[0]["entities"] = new[0]["entities"][1:]
    new[0]["summary"]["text"] = "改过的摘要"
    result = diff_records(old, new)
    assert result["added"] == ["brand-new"] and result["removed"] == [removed["id"]]
    change = result["changed"][new[0]["id"]]
    first = old[1]["entities"][0]
    assert (first["name"], first["type"]) in change["entities"]["removed"]
    assert change["summary"]["after"] == "改过的摘要"
    cli = pipeline_cli(seed_run, "diff", "outputs", "outputs", "--json")
    assert json.loads(cli.stdout.splitlines()[-1]) == {"added": [], "removed": [], "changed": {}, "unchanged": 3}


def test_report_has_overview_and_document_pages(seed_run):
    index = (seed_run / "outputs" / "report" / "index.html").read_text()
    assert "<script src" not in index and "<link" not in index and "http://" not in index.split("<body>")[0]
    for expected in ("Who warned, who dismissed", "Stages", "Top entities", "<svg", 'id="docs"'):
        assert expected in index
    page = (seed_run / "outputs" / "report" / "docs" / doc_filename(MUSK)).read_text()
    assert 'class="entities"' in page and "concerned" in page and 'class="summary"' in page and "Cleaning repairs" in page


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed (scripts/setup.sh installs it as root)")
def test_report_renders_in_headless_chromium(seed_run):
    report = seed_run / "outputs" / "report"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={seed_run / 'chromium-profile'}", "--virtual-time-budget=3000"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", (report / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The table rows exist only if the embedded script ran in the browser.
    assert dom.stdout.count('<a href="docs/') >= 3 and "1/1 (3)" in dom.stdout
    page = report / "docs" / doc_filename(MUSK)
    shot = seed_run / "outputs" / "report" / "screenshot.png"
    subprocess.run(["chromium", *flags, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
    # Keep a copy in the repository's outputs/ for people to look at.
    target = Path(__file__).resolve().parent.parent / "outputs" / "report"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shot, target / "screenshot.png")


def test_snakemake_report_captions_every_stage(seed_run):
    from conftest import snakemake

    snakemake(seed_run, "--report", "outputs/snakemake-report.html")
    report = (seed_run / "outputs" / "snakemake-report.html").read_text(encoding="utf-8")
    for stage in ("clean", "segment", "ner", "stance", "summarize"):
        caption = (seed_run / "workflow" / "report" / f"{stage}.rst").read_text(encoding="utf-8").strip()
        assert caption[:30] in report, stage


def test_show_every_layer_by_name(seed_run):
    record = json.loads(pipeline_cli(seed_run, "show", "000_43a1417fc8ec1a8e", "--json").stdout)
    for layer in sorted(set(record) - {"id"}):
        result = pipeline_cli(seed_run, "show", "000_43a1417fc8ec1a8e", "--layer", layer)
        assert result.stdout.strip(), layer
    assert pipeline_cli(seed_run, "show", "000_43a1417fc8ec1a8e", "--layer", "nope", ok=False).returncode == 1


def test_conll_export_is_well_formed(seed_run):
    pipeline_cli(seed_run, "export", "--format", "conll")
    for line in (seed_run / "outputs" / "export" / "docs.conll").read_text(encoding="utf-8").split("\n"):
        assert line == "" or line.startswith("# doc_id = ") or (len(line.split("\t")) == 3 and line.split("\t")[1].strip()), repr(line)


@pytest.mark.parametrize("command", [["ls"], ["artifacts"], ["stages"], ["audit"], ["show", "000_43a1417fc8ec1a8e"]])
def test_json_flag_prints_one_json_document_and_nothing_else(seed_run, command):
    out = pipeline_cli(seed_run, *command, "--json").stdout
    json.loads(out)  # the whole of stdout is one JSON document


def test_artifacts_are_listed_in_pipeline_order(seed_run):
    rows = json.loads(pipeline_cli(seed_run, "artifacts", "--json").stdout)
    stages = [row["stage"] for row in rows]
    order = ["clean", "segment", "ner", "stance", "summarize"]
    assert sorted(stages, key=order.index) == stages
