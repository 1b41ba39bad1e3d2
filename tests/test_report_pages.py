"""Report pages are rendered again only for documents whose record changed, and pages of
documents that left the batch are removed."""

from __future__ import annotations

import json

from pipeline.views.report import build_pages, doc_filename


def write_shard(out, records):
    folder = out / "summarize"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records]
    (folder / "shard-000.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def record(doc_id, text):
    return {"id": doc_id, "text": text, "sentences": [[0, len(text)]], "meta": {"title": doc_id},
            "ner": [[text[:3], "PER", 0, 3]], "entities": []}


def test_pages_are_rendered_once_and_follow_the_batch(tmp_path):
    write_shard(tmp_path, [record("a", "马斯克警告人工智能的风险。"), record("b", "辛顿认为风险可控。")])
    first = build_pages(tmp_path)
    docs = tmp_path / "report" / "docs"
    assert first["documents"] == 2 and first["rendered"] == 2
    assert "PER" in (docs / doc_filename("a")).read_text(encoding="utf-8")  # displaCy entity markup
    assert build_pages(tmp_path)["rendered"] == 0

    write_shard(tmp_path, [record("b", "辛顿认为风险不可控。"), record("c", "李彦宏谈大模型。")])
    third = build_pages(tmp_path)
    assert third["documents"] == 2 and third["rendered"] == 2
    assert not (docs / doc_filename("a")).exists()
    assert "不可控" in (docs / doc_filename("b")).read_text(encoding="utf-8")
    assert json.loads((tmp_path / "report" / "pages.json").read_text())["documents"] == 2

    (docs / doc_filename("c")).unlink()  # a page deleted by hand comes back
    assert build_pages(tmp_path)["rendered"] == 1
