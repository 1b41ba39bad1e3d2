"""A generator of hostile input: every kind of bad file a scraper or an export produces.

    python -m pipeline.badinput FOLDER      # writes FOLDER/… and FOLDER.cases.json

Each case records the file it wrote and the outcome the pipeline must reach: ``processed``
(with the encoding it must record) or a quarantine reason. The test suite runs the whole
corpus through the workflow and checks every outcome and the audit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ARTICLE = (
    "人工智能正在改变新闻行业。记者们开始使用大模型辅助写作，编辑部也在讨论新的审核流程。"
    "有专家警告，生成式人工智能可能带来虚假信息和隐私泄露的风险，呼吁加强监管。"
    "也有业内人士认为这些担忧被夸大了，技术带来的机遇远大于挑战。"
)
TRADITIONAL = "人工智慧正在改變新聞行業。記者們開始使用大模型輔助寫作，專家警告生成式人工智慧可能帶來風險。"


def _variant(number: int) -> str:
    """A distinct article per case, so de-duplication does not merge them."""
    topics = ["北京", "上海", "深圳", "杭州", "成都", "武汉", "西安", "南京", "广州", "天津", "重庆", "长沙", "郑州", "青岛", "厦门", "苏州"]
    topic = topics[number % len(topics)]
    return f"{topic}第{number}号报道：{topic}的" + ARTICLE.replace("新闻行业", f"{topic}的新闻行业") + f"这是关于{topic}的第{number}篇稿件。"


def generate(folder: str | Path, huge_mb: int = 50) -> list[dict]:
    """Write the bad-input corpus into ``folder``; return the cases with expected outcomes."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    cases: list[dict] = []

    def case(name: str, data: bytes, expect: str, what: str, encoding: str | None = None) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append({"file": path.as_posix(), "case": what, "expect": expect, **({"encoding": encoding} if encoding else {})})

    n = iter(range(1000))
    case("empty.txt", b"", "empty", "empty file")
    case("whitespace.txt", "  \n\t\r\n \u3000\n".encode(), "whitespace_only", "whitespace-only file")
    case("binary.txt", bytes(range(256)) * 40, "binary", "binary data")
    case("truncated.txt", _variant(next(n)).encode("utf-8")[:-1], "processed", "UTF-8 cut inside its last character", "utf-8-truncated")
    case("utf8_bom.txt", b"\xef\xbb\xbf" + _variant(next(n)).encode(), "processed", "UTF-8 with BOM", "utf-8-bom")
    case("gbk.txt", _variant(next(n)).encode("gbk"), "processed", "GBK without BOM", "gb18030")
    case("gb18030.txt", (_variant(next(n)) + "𠀀").encode("gb18030"), "processed", "GB18030 (4-byte character)", "gb18030")
    case("big5.txt", TRADITIONAL.replace("人工", f"第{next(n)}篇人工").encode("big5"), "processed", "Big5 traditional Chinese", "big5")
    case("utf16le_bom.txt", _variant(next(n)).encode("utf-16"), "processed", "UTF-16 LE with BOM", "utf-16-bom")
    case("utf16be_bom.txt", b"\xfe\xff" + _variant(next(n)).encode("utf-16-be"), "processed", "UTF-16 BE with BOM", "utf-16-bom")
    case("utf16le.txt", _variant(next(n)).encode("utf-16-le"), "processed", "UTF-16 LE without BOM", "utf-16-le")
    case("utf16be.txt", _variant(next(n)).encode("utf-16-be"), "processed", "UTF-16 BE without BOM", "utf-16-be")
    page = (
        "<!DOCTYPE html><html><head><title>网页新闻标题</title><style>body{color:red}</style>"
        "<script>document.write('脚本里的字不应出现');</script></head><body><h1>网页新闻标题</h1>"
        f"<p>{_variant(next(n))}</p><!-- 注释里的字 --><p>第二段&amp;结尾。</p></body></html>"
    )
    case("page.html", page.encode(), "processed", "HTML page with script and style", "utf-8")
    case("huge.txt", (_variant(next(n)) + "\n").encode() * (huge_mb * 1024 * 1024 // len((_variant(0) + "\n").encode()) + 1), "too_large", f"{huge_mb} MB file")
    case("long_line.txt", ("没有标点的超长行" * (1024 * 1024 // 24 + 1)).encode()[: 1024 * 1024 // 3 * 3], "processed", "1 MB line without punctuation", "utf-8")
    case("emoji.txt", "😀🎉🚀🤖❤️👍".encode() * 20, "not_chinese", "emoji only")
    case("latin.txt", b"Artificial intelligence is changing newsrooms. " * 20, "not_chinese", "Latin-only text")
    case("traditional.txt", TRADITIONAL.replace("人工", "臺灣人工").encode(), "processed", "traditional Chinese (UTF-8)", "utf-8")
    mixed = _variant(next(n)).replace("。", "。\r\n", 1).replace("。", "。\r", 2).replace("，", "，\n", 1)
    case("mixed_newlines.txt", mixed.encode(), "processed", "mixed newline styles (CRLF, CR, LF)", "utf-8")
    first = _variant(next(n))
    lines = [
        json.dumps({"id": "dup-1", "text": first}, ensure_ascii=False),
        "{this is not json",
        json.dumps({"id": "no-text", "title": "没有正文"}, ensure_ascii=False),
        json.dumps({"id": "bad-type", "text": ["不是", "字符串"]}, ensure_ascii=False),
        json.dumps({"id": "num-title", "text": _variant(next(n)), "title": 12}, ensure_ascii=False),
        json.dumps({"id": "good-2", "text": _variant(next(n))}, ensure_ascii=False),
        "[1, 2, 3]",
    ]
    case("batch_a.jsonl", "\n".join(lines).encode(), "processed", "JSON lines: good, malformed, no text, non-string fields, not an object")
    cases[-1]["lines"] = {"1": "processed", "2": "malformed_json", "3": "missing_text", "4": "bad_field_type", "5": "bad_field_type", "6": "processed", "7": "malformed_json"}
    case("batch_b.jsonl", json.dumps({"id": "dup-1", "text": _variant(next(n))}, ensure_ascii=False).encode(), "duplicate_id", "the same id in another file")
    case("with space.txt", _variant(next(n)).encode(), "processed", "file name with spaces", "utf-8")
    case("中文名.txt", _variant(next(n)).encode(), "processed", "file name in Chinese", "utf-8")
    case("-leading-dash.txt", _variant(next(n)).encode(), "processed", "file name with a leading dash", "utf-8")
    case("nested/deeper/article.md", _variant(next(n)).encode(), "processed", "nested folders", "utf-8")
    exact = _variant(next(n))
    case("copy_1.txt", exact.encode(), "processed", "original of an exact duplicate", "utf-8")
    case("copy_2.txt", exact.encode(), "exact_duplicate", "exact duplicate of copy_1")
    case("table.csv", _variant(next(n)).encode(), "unsupported_type", "unsupported suffix")
    link = root / "link_to_article.txt"
    link.symlink_to(root / "copy_1.txt")
    cases.append({"file": link.as_posix(), "case": "symlink to another input", "expect": "exact_duplicate"})
    broken = root / "broken_link.txt"
    broken.symlink_to(root / "does-not-exist.txt")
    cases.append({"file": broken.as_posix(), "case": "broken symlink", "expect": "unreadable"})
    locked = root / "locked.txt"
    locked.write_bytes(_variant(next(n)).encode())
    locked.chmod(0)
    # root reads any file whatever its mode: then it is simply processed.
    cases.append({"file": locked.as_posix(), "case": "unreadable file (mode 000)", "expect": "processed" if os.geteuid() == 0 else "unreadable"})
    tricky = [
        json.dumps({"id": "sep", "text": _variant(next(n)) + "\u2028" + "第二段。"}, ensure_ascii=False),  # U+2028 inside a string
        '{"id": "surrogate", "text": "\\ud800' + _variant(next(n)) + '"}',  # an escaped lone surrogate
        "[" * 100_000 + "]" * 100_000,  # nests deeper than any parser's stack
        json.dumps({"id": "after", "text": _variant(next(n))}, ensure_ascii=False),
    ]
    case("tricky.jsonl", "\n".join(tricky).encode(), "processed", "JSON lines: U+2028 in a string, lone surrogate, deep nesting")
    cases[-1]["lines"] = {"1": "processed", "2": "malformed_json", "3": "malformed_json", "4": "processed"}
    case("blank.jsonl", b"\n\n", "whitespace_only", "JSON-lines file with no line")
    case("bom_only.jsonl", b"\xef\xbb\xbf", "empty", "JSON-lines file holding only a BOM")
    fifo = root / "pipe.txt"
    os.mkfifo(fifo)  # opening it would block the run for ever
    cases.append({"file": fifo.as_posix(), "case": "a FIFO among the inputs", "expect": "not_a_file"})
    zero = root / "zero.txt"
    zero.symlink_to("/dev/zero")  # reading it would never end
    cases.append({"file": zero.as_posix(), "case": "a link to /dev/zero", "expect": "not_a_file"})
    Path(f"{root}.cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m pipeline.evaluate.badinput FOLDER")
    print(json.dumps(generate(sys.argv[1]), ensure_ascii=False, indent=1))
