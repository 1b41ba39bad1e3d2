"""The two seed articles: three documents, no boilerplate, every layout cut rejoined,
nothing invented and nothing lost."""

from __future__ import annotations

import re

import pytest

from pipeline.components.clean.cleaner import clean_unit
from pipeline.record.offsets import raw_index
from pipeline.record.text import to_halfwidth
from pipeline.components.clean.readers import read_units

from conftest import SEEDS


@pytest.fixture(scope="module")
def seeds(lm):
    out = {}
    for path in SEEDS:
        [unit], _ = read_units(path, 64)
        for record in clean_unit(unit, lm):
            out[record["id"]] = (record, unit.text)
    return out


def test_seeds_give_three_documents(seeds):
    assert sorted(seeds) == ["000_43a1417fc8ec1a8e", "002_666ca9bd639e9b56-1", "002_666ca9bd639e9b56-2"]
    assert seeds["002_666ca9bd639e9b56-1"][0]["meta"]["title"].startswith("马斯克矛盾的AI观")
    assert seeds["002_666ca9bd639e9b56-2"][0]["meta"]["title"].startswith("亚马逊云科技切入生成式AI镜鉴")


@pytest.mark.parametrize(
    "boilerplate",
    ["![", "mmbiz", "封面图链接", "原文链接", "图｜", "文｜", "END", "扫码加入读者群", "和作者及时互动", "和同行学习交流", "点这里", "关注我", "**"],
)
def test_seeds_no_boilerplate_survives(seeds, boilerplate):
    for record, _ in seeds.values():
        assert boilerplate not in record["text"], record["id"]


@pytest.mark.parametrize(
    "joined",
    [
        "直至离开。2017年",  # …直至离 + 开。2017年…
        "署名榜单的第一位。",
        "从2014年截止到现在，马斯克公开发表的对AI保持高度警惕",
        "需要对数据进行收集、存储",
        "解决人类面临的重大问题、加强内部对AI伦理",
        "推出了新控件，允许用户关闭其聊天记录",
        "如果被恶意攻击者获取",
        "生成式AI对社会、法律的冲击还只是",  # the end survives only in a pull quote
        "陈晓建总结，其优势",
        "亚马逊CEO安迪·贾西在写给股东的信中",
        "Titan大模型，以及整合第三方模型",
        "涵盖底层基础大模型、基础模型全托管服务Bedrock",
    ],
)
def test_seeds_every_layout_cut_is_rejoined(seeds, joined):
    assert any(joined in record["text"] for record, _ in seeds.values())


@pytest.mark.parametrize(
    ("repeated", "times"),
    [("马斯克的思维武器是第一性原理", 1), ("从马斯克看似“矛盾”的AI观中", 1), ("亚马逊云科技一口气上线", 0), ("冲击还只是", 1)],
)
def test_seeds_pull_quotes_and_captions_not_inline(seeds, repeated, times):
    assert sum(record["text"].count(repeated) for record, _ in seeds.values()) == times


def test_seeds_nothing_invented(seeds):
    for record, raw in seeds.values():
        for position, char in enumerate(record["text"]):
            source = raw[raw_index(record["offsets"], position)]
            assert to_halfwidth(source) == char or (char.isspace() and source.isspace())


def test_seeds_nothing_lost(seeds):
    """Every Chinese character of the raw files is in a cleaned text, in meta, or in a
    logged repair (boilerplate, caption, pull quote)."""
    raws = {}
    covered: dict[str, set[int]] = {}
    logged: dict[str, str] = {}
    for record, raw in seeds.values():
        source = record["meta"]["source_file"]
        raws[source] = raw
        covered.setdefault(source, set()).update(
            raw_begin + i for _, raw_begin, length in record["offsets"] for i in range(length)
        )
        pieces = [str(v) for v in record["meta"].values()]
        pieces += [str(r.get(k, "")) for r in record["repairs"] for k in ("text", "pull_quote")]
        logged[source] = logged.get(source, "") + "\n".join(pieces)
    for source, raw in raws.items():
        for line in raw.splitlines():
            start = raw.index(line) if line else 0
            missing = [i for i in range(start, start + len(line)) if re.match(r"[\u4e00-\u9fff]", raw[i]) and i not in covered[source]]
            if missing:
                assert line.strip().strip("*# ") in logged[source] or all(
                    raw[i] in logged[source] for i in missing
                ), f"{source}: lost {line!r}"
