"""Hostile input through the whole workflow: nothing crashes, nothing is lost, every
rejection says why; raw/ is never written and nothing is written outside outputs/."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import copy_workflow, pipeline_cli, snakemake
from pipeline.evaluate.badinput import generate
from pipeline.components.clean.readers import QUARANTINE_REASONS


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every file outside outputs/ and Snakemake's own .snakemake/."""
    state = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if rel.parts[0] in ("outputs", ".snakemake", "chromium-profile") or "__pycache__" in rel.parts:
            continue
        if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
            stat = path.stat()
            state[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return state


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("hostile"))
    cases = generate(workdir / "hostile" / "in")
    (workdir / "hostile.yaml").write_text("inputs: [hostile/in]\n", encoding="utf-8")  # the default config
    before = tree_state(workdir)
    snakemake(workdir, "--configfile", "hostile.yaml")
    return workdir, cases, before


def test_hostile_every_case_has_its_outcome(hostile_run):
    workdir, cases, _ = hostile_run
    rows = [json.loads(line) for line in (workdir / "outputs" / "audit" / "ledger.jsonl").read_text().splitlines()]
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        by_file.setdefault(Path(row["file"]).name, []).append(row)
    for case in cases:
        name = Path(case["file"]).name
        assert name in by_file, f"{case['case']}: {name} not in the ledger"
        outcomes = {row["line"]: row for row in by_file[name]}
        if "lines" in case:
            for line, expect in case["lines"].items():
                row = outcomes[int(line)]
                got = "processed" if row["processed"] else row["quarantined"][0]["reason"]
                assert got == expect, f"{case['case']} line {line}: {got} != {expect}"
            continue
        [row] = by_file[name]
        got = "processed" if row["processed"] else row["quarantined"][0]["reason"]
        assert got == case["expect"], f"{case['case']}: {got} != {case['expect']}"
        for item in row["quarantined"]:
            assert item["reason"] in QUARANTINE_REASONS and item.get("detail")


def test_hostile_encodings_are_recorded(hostile_run):
    workdir, cases, _ = hostile_run
    records = {}
    for shard in (workdir / "outputs" / "summarize").glob("shard-*.jsonl"):
        for line in shard.read_text().splitlines():
            record = json.loads(line)
            records[Path(record["meta"]["source_file"]).name] = record
    for case in cases:
        if case.get("encoding") and case["expect"] == "processed":
            assert records[Path(case["file"]).name]["meta"]["encoding"] == case["encoding"], case["case"]
    page = records["page.html"]["text"]
    assert "脚本里的字" not in page and "注释里的字" not in page and "body{" not in page


def test_hostile_audit_accounts_for_everything(hostile_run):
    workdir, cases, _ = hostile_run
    result = pipeline_cli(workdir, "audit", "--cases", "hostile/in.cases.json", "--json")
    counts = json.loads(result.stdout.splitlines()[-1])
    assert counts["unaccounted"] == 0 and counts["cases_tried"] == len(cases)
    assert counts["records"] == counts["processed"] + counts["quarantined"]
    assert counts["inputs"] == len(cases)


def test_hostile_raw_never_written_nothing_outside_outputs(hostile_run):
    workdir, _, before = hostile_run
    assert tree_state(workdir) == before
