"""Record files: canonical bytes, errors naming file and line, and the cut-down reader that
whole-batch views use (its cache must never serve a stale record)."""

from __future__ import annotations

import json

import pytest

from pipeline.record.codec import dumps, read_jsonl
from pipeline.running.caches import read_reduced
from pipeline.running.files import write_jsonl


def test_records_are_written_with_sorted_keys_and_readable_chinese(tmp_path):
    path = tmp_path / "docs.jsonl"
    write_jsonl(path, [{"text": "马斯克", "id": "a", "tok": [["马斯克", 0, 3]]}])
    assert path.read_text(encoding="utf-8") == '{"id":"a","text":"马斯克","tok":[["马斯克",0,3]]}\n'
    assert dumps({"b": 1, "a": 0.5}) == '{"a":0.5,"b":1}'


def test_a_bad_line_is_reported_with_file_and_line(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"docs\.jsonl:2: not a JSON object"):
        list(read_jsonl(path))


def test_read_reduced_keeps_only_the_asked_layers_and_rereads_changed_lines(tmp_path):
    shard, cache = tmp_path / "shard.jsonl", tmp_path / "cache" / "view.json"
    records = [{"id": "a", "text": "甲", "ner": [["甲", "PER", 0, 1]]}, {"id": "b", "text": "乙", "ner": []}]
    shard.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert read_reduced([shard], ("id", "ner"), cache) == [{"id": "a", "ner": [["甲", "PER", 0, 1]]}, {"id": "b", "ner": []}]
    assert cache.exists()

    records[1]["ner"] = [["乙", "LOC", 0, 1]]  # an edited record must not come back from the cache
    shard.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert read_reduced([shard], ("id", "ner"), cache)[1] == {"id": "b", "ner": [["乙", "LOC", 0, 1]]}


def test_read_reduced_survives_a_corrupt_cache(tmp_path):
    shard, cache = tmp_path / "shard.jsonl", tmp_path / "view.json"
    shard.write_text('{"id":"a","meta":{"title":"题"},"tok":[]}\n', encoding="utf-8")
    cache.write_bytes(b"{not json")
    assert read_reduced([shard], ("id", "meta"), cache) == [{"id": "a", "meta": {"title": "题"}}]


def test_read_reduced_cache_is_not_reused_for_other_layers(tmp_path):
    shard, cache = tmp_path / "shard.jsonl", tmp_path / "view.json"
    shard.write_text('{"id":"a","meta":{"title":"题"},"ner":[]}\n', encoding="utf-8")
    read_reduced([shard], ("id", "meta"), cache)
    assert read_reduced([shard], ("id", "ner"), cache) == [{"id": "a", "ner": []}]
