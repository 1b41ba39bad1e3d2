"""Decoding and every quarantine reason, on small files made here."""

from __future__ import annotations

import json

import pytest

from pipeline.components.clean.ingest import ingest, shard_of
from pipeline.components.clean.readers import decode, QUARANTINE_REASONS

ARTICLE = "人工智能正在改变新闻行业，记者们开始使用大模型写作。专家认为这带来机遇也带来风险。"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ARTICLE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"), "utf-8-bom"),
        (ARTICLE.encode("utf-16"), "utf-16-bom"),
        (ARTICLE.encode("utf-16-le"), "utf-16-le"),
        (ARTICLE.encode("utf-16-be"), "utf-16-be"),
        (ARTICLE.encode("gb18030"), "gb18030"),
        (ARTICLE.encode("gbk"), "gb18030"),
        ("人工智慧正在改變新聞行業，記者們開始使用大模型寫作。".encode("big5"), "big5"),
    ],
)
def test_readers_decode_records_encoding(data, encoding):
    text, found = decode(data)
    assert found == encoding
    assert text.lstrip("\ufeff")[:4] in (ARTICLE[:4], "人工智慧")


def test_readers_truncated_utf8_keeps_whole_characters():
    text, encoding = decode(ARTICLE.encode("utf-8")[:-1])
    assert encoding == "utf-8-truncated" and text == ARTICLE[:-1]


def run(tmp_path, files: dict[str, bytes], **settings):
    root = tmp_path / "in"
    root.mkdir()
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return ingest([str(root)], settings), root


def reasons(batch) -> dict[str, str]:
    return {q.get("id") or q["source_file"].rsplit("/", 1)[-1]: q["reason"] for q in batch.quarantined}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\t\n  ", "whitespace_only"),
        ("binary.txt", b"\x00\x01\x02\xff" * 50, "binary"),
        ("latin.txt", b"Only English words in this article, nothing else.", "not_chinese"),
        ("table.csv", ARTICLE.encode(), "unsupported_type"),
        ("bad.txt", b"\x81\x30\xff\xfe\xfd" * 30 + "中文".encode("utf-8"), "undecodable"),
    ],
)
def test_quarantine_file_reasons(tmp_path, name, data, reason):
    batch, _ = run(tmp_path, {name: data, "good.txt": ARTICLE.encode()})
    assert [r["id"] for r in batch.records] == ["good"]
    key = name.rsplit(".", 1)[0] if reason == "not_chinese" else name  # a record id, or the file
    assert reasons(batch)[key] == reason


def test_quarantine_too_large(tmp_path):
    batch, _ = run(tmp_path, {"big.txt": ARTICLE.encode() * 2000}, max_file_mb=0.01)
    assert reasons(batch) == {"big.txt": "too_large"} and not batch.records


def test_quarantine_unreadable_broken_link(tmp_path):
    batch, root = run(tmp_path, {"good.txt": ARTICLE.encode()})
    (root / "gone.txt").symlink_to(root / "missing.txt")
    batch = ingest([str(root)], {})
    assert reasons(batch)["gone.txt"] == "unreadable"


def test_quarantine_jsonl_bad_lines_keep_good_ones(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": ARTICLE}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "title": "无正文"}, ensure_ascii=False),
        json.dumps({"id": "c", "text": 42}),
        json.dumps({"id": "d", "text": ARTICLE + "另一篇文章的结尾不一样，而且更长一些，讲了完全不同的故事和人物。" * 3}, ensure_ascii=False),
        json.dumps({"id": "a", "text": "同一个编号的另一篇完全不同的文章，讲述天气预报和农业生产的情况。"}, ensure_ascii=False),
    ]
    batch, _ = run(tmp_path, {"batch.jsonl": "\n".join(lines).encode()})
    assert sorted(r["id"] for r in batch.records) == ["a", "d"]
    got = {(q.get("source_line"), q["reason"]) for q in batch.quarantined}
    assert got == {(2, "malformed_json"), (3, "missing_text"), (4, "bad_field_type"), (6, "duplicate_id")}


def test_quarantine_exact_and_near_duplicates_point_to_kept(tmp_path):
    long = ARTICLE + "有关部门表示，将加强对人工智能生成内容的管理，要求平台标注合成内容，防止虚假信息传播。" + (
        "多家媒体机构已经建立了内部规范，明确哪些环节可以使用生成工具，哪些环节必须由编辑人工核实。"
        "业内人士指出，技术本身并无好坏，关键在于使用者是否建立了可靠的审核流程。"
    )
    near = long.replace("记者们", "记者")
    batch, _ = run(tmp_path, {"a.txt": long.encode(), "b.txt": long.encode(), "c.txt": near.encode()})
    assert [r["id"] for r in batch.records] == ["a"]
    by_id = {q["id"]: q for q in batch.quarantined}
    assert by_id["b"]["reason"] == "exact_duplicate" and by_id["b"]["kept"] == "a"
    assert by_id["c"]["reason"] == "near_duplicate" and by_id["c"]["kept"] == "a"


def test_quarantine_every_reason_is_documented(tmp_path):
    batch, _ = run(tmp_path, {"empty.txt": b"", "x.bin": b"1"})
    assert all(q["reason"] in QUARANTINE_REASONS for q in batch.quarantined)


def test_ingest_accounts_for_every_article(tmp_path):
    batch, _ = run(tmp_path, {"a.txt": ARTICLE.encode(), "b.txt": ARTICLE.encode(), "e.txt": b"", "n/c.md": "另一篇讲天气的中文新闻，今天北京晴。".encode()})
    assert batch.articles == len(batch.records) + batch.rejected_articles == 3


def test_shard_of_is_stable_and_spread():
    assert shard_of("000_43a1417fc8ec1a8e", 2) == shard_of("000_43a1417fc8ec1a8e", 2)
    assert {shard_of(f"doc-{i}", 4) for i in range(100)} == {0, 1, 2, 3}


def test_quarantine_templated_reports_of_different_days_are_kept(tmp_path):
    body = "十四届全国人大二次会议主席团4日上午在北京人民大会堂举行第一次会议。会议应到181人，出席180人。" * 3
    lines = [
        json.dumps({"id": "2024", "date": "20240304", "text": body}, ensure_ascii=False),
        json.dumps({"id": "2025", "date": "20250304", "text": body.replace("二次", "三次")}, ensure_ascii=False),
    ]
    batch, _ = run(tmp_path, {"news.jsonl": "\n".join(lines).encode()})
    assert sorted(r["id"] for r in batch.records) == ["2024", "2025"]


def test_the_character_model_loads_only_when_a_paragraph_join_is_scored(tmp_path):
    from pipeline.components.clean import charlm

    charlm.default_lm.cache_clear()
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.jsonl").write_text('{"id": "x", "text": "人工智能大会今天在上海开幕。"}\n', encoding="utf-8")
    assert ingest([str(plain)], {}).records
    assert charlm.default_lm.cache_info().currsize == 0  # one finished paragraph: nothing to join

    from conftest import SEEDS

    assert ingest([str(path) for path in SEEDS], {}).records  # the seeds' layout cuts the model must score
    assert charlm.default_lm.cache_info().currsize == 1
