"""Hostile batches beyond the generated corpus: special files, bounded reads, bad JSON lines,
ids that must not collide, output folders that would eat their own inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.components.clean.ingest import ingest
from pipeline.components.clean.readers import document_id, read_bounded
from pipeline.paths import REPO_ROOT, ConfigError
from pipeline.running.workflow import check_output_root
from pipeline.views.report import doc_filename

ARTICLE = "人工智能正在改变新闻行业。记者们开始使用大模型辅助写作，专家提醒要注意风险。"


def _reasons(batch) -> dict[str, str]:
    return {q["source_file"].rsplit("/", 1)[-1] + (f":{q['source_line']}" if q.get("source_line") else ""): q["reason"]
            for q in batch.quarantined}


def test_special_files_are_refused_without_being_opened(tmp_path):
    (tmp_path / "good.txt").write_text(ARTICLE, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block for ever
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # reading it would never end
    batch = ingest([str(tmp_path)], {})
    assert [r["id"] for r in batch.records] == ["good"]
    assert _reasons(batch) == {"pipe.txt": "not_a_file", "zero.txt": "not_a_file"}


def test_reads_stop_at_the_size_limit_whatever_stat_says(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 3000)
    assert read_bounded(path, 2000 / 1024 / 1024) is None
    assert read_bounded(path, 1) == b"a" * 3000


def test_bad_json_lines_are_quarantined_and_the_rest_go_on(tmp_path):
    lines = [
        json.dumps({"id": "ok1", "text": ARTICLE}, ensure_ascii=False),
        '{"id": "surrogate", "text": "\\ud800' + ARTICLE + '"}',                 # escaped lone surrogate
        "[" * 100_000 + "]" * 100_000,                                            # nests too deeply
        json.dumps({"id": "sep", "text": ARTICLE + "\u2028" + ARTICLE}, ensure_ascii=False),  # U+2028 inside a string
        json.dumps({"id": "ok2", "text": "第二篇。" + ARTICLE}, ensure_ascii=False),
    ]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = ingest([str(tmp_path)], {})
    assert sorted(r["id"] for r in batch.records) == ["ok1", "ok2", "sep"]
    assert _reasons(batch) == {"batch.jsonl:2": "malformed_json", "batch.jsonl:3": "malformed_json"}


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n \n"])
def test_a_jsonl_file_without_records_still_gets_a_quarantine_row(tmp_path, content):
    (tmp_path / "blank.jsonl").write_bytes(content)
    batch = ingest([str(tmp_path)], {})
    assert batch.records == [] and len(batch.quarantined) == 1
    assert batch.quarantined[0]["reason"] in ("empty", "whitespace_only")


def test_files_of_the_same_name_in_different_folders_are_different_documents(tmp_path):
    for day, text in (("2022-10-01", ARTICLE), ("2022-10-02", "另一天的新闻。" + ARTICLE[::-1])):
        (tmp_path / day).mkdir()
        (tmp_path / day / "index.txt").write_text(text, encoding="utf-8")
    batch = ingest([str(tmp_path)], {})
    assert sorted(r["id"] for r in batch.records) == ["2022-10-01/index", "2022-10-02/index"]
    assert batch.quarantined == []
    assert document_id(tmp_path / "a" / "b.txt", [tmp_path]) == "a/b"


def test_report_page_names_are_unique_per_id():
    ids = ["a/b", "a.b", "a_b", "x" * 80 + "1", "x" * 80 + "2"]
    assert len({doc_filename(doc_id) for doc_id in ids}) == len(ids)


def test_outputs_inside_an_input_folder_or_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "in").mkdir()
    with pytest.raises(ConfigError, match="inside the input folder"):
        check_output_root({"inputs": [str(tmp_path / "in")], "outputs": str(tmp_path / "in" / "out")}, tmp_path)
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        check_output_root({"inputs": [str(tmp_path / "in")], "outputs": str(tmp_path / "taken")}, tmp_path)
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", f"outputs={tmp_path / 'taken'}"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "is a file" in result.stderr and "Traceback" not in result.stderr


def test_run_help_lists_our_options_and_config_keys_first():
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", "--help"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    head = result.stdout.splitlines()[:40]
    assert any("outputs" in line for line in head) and any("shards" in line for line in head)
    assert any("stance.threshold" in line for line in result.stdout.splitlines())
    assert len(result.stdout.splitlines()) < 120  # not Snakemake's 1,000-line help


def test_a_killed_jobs_temporary_files_are_removed_and_never_published(tmp_path):
    from pipeline.running.clean_job import run_clean
    from pipeline.running.shard_job import run_stage
    from pipeline.running.versions import publish

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    (out / "clean").mkdir(parents=True)
    (out / "segment").mkdir(parents=True)
    stale_clean = out / "clean" / ".shard-000.jsonl.k1ll3d.tmp"
    stale_mine = out / "segment" / ".shard-000.manifest.json.k1ll3d.tmp"
    other_shard = out / "segment" / ".shard-001.jsonl.inflight.tmp"  # another job's, still being written
    for path in (stale_clean, stale_mine, other_shard):
        path.write_bytes(b"")
    run_clean([str(tmp_path / "in")], out / "clean", 1, {})
    run_stage("segment", out / "clean" / "shard-000.jsonl", out / "segment" / "shard-000.jsonl", {})
    assert not stale_clean.exists() and not stale_mine.exists() and other_shard.exists()
    manifest = publish(out / "segment", out / "versions")
    published = {p.name for p in (out / "versions" / "segment" / manifest["version"]).iterdir()}
    assert not any(name.startswith(".") for name in published)
