"""The LCSTS scorer and its peers on a three-line gold file written here."""

import importlib.util
import json

import pytest

from pipeline.evaluate import summary as evaluate

GOLD = (
    "李嘉诚回应撤资质疑\t面对撤资中国内地及香港的传言，李嘉诚希望用数字说话。“说撤资是一个大笑话！”（南方日报）\n"
    "义乌否认取消限购\t义乌被传住房限购取消，简单的微博否认并未打消市场疑虑。昨日，义乌市政府再次否认。\n"
    "无人机概念炒作升温\t近日，Ａ股市场中，“无人机”概念股收到资金追捧。多只个股涨停。\n"
)


needs_rouge = pytest.mark.skipif(
    importlib.util.find_spec("rouge_chinese") is None, reason="rouge-chinese (eval dependency) not installed"
)


@pytest.fixture
def gold_file(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text(GOLD, encoding="utf-8")
    return path


def test_read_lcsts_normalises_full_width(gold_file):
    pairs = evaluate.read_lcsts(gold_file)
    assert len(pairs) == 3
    assert "A股" in pairs[2][1] and "Ａ" not in pairs[2][1]


@needs_rouge
@pytest.mark.parametrize(
    "hypothesis, reference, expected",
    [
        ("李嘉诚回应", "李嘉诚回应", (1.0, 1.0, 1.0)),  # identical
        ("", "李嘉诚回应", (0.0, 0.0, 0.0)),  # empty output scores zero, no exception
        ("天地玄黄", "李嘉诚回应", (0.0, 0.0, 0.0)),  # nothing shared
    ],
)
def test_rouge_f1_edges(hypothesis, reference, expected):
    scores = evaluate.rouge_f1([hypothesis], [reference])
    assert (scores["rouge1"], scores["rouge2"], scores["rougeL"]) == expected


@needs_rouge
def test_rouge_is_character_level():
    # 2 of 3 reference characters, 2 of 2 hypothesis characters: F1 = 0.8
    assert evaluate.rouge_f1(["李嘉"], ["李嘉诚"])["rouge1"] == 0.8


@pytest.mark.parametrize("budget", [5, 12, 30])
def test_peers_return_source_text(budget):
    text = "面对撤资中国内地及香港的传言，李嘉诚希望用数字说话。说撤资是一个大笑话！"
    assert text.startswith(evaluate.lead(text, budget)[:budget])
    ranked = evaluate.textrank(text, budget)
    assert ranked and all(sentence in text for sentence in ranked.split("。") if sentence)


def test_lead_takes_whole_sentences_that_fit():
    assert evaluate.lead("第一句话。第二句话很长很长很长。", 8) == "第一句话。"


@needs_rouge
def test_main_prints_one_json_object_last(gold_file, capsys):
    assert evaluate.main(["--gold", str(gold_file), "--budget", "12", "--no-peers", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["budget_chars"] == 12 and result["docs"] == 3
    assert 0 < result["rougeL"] <= 1 and result["docs_per_s"] > 0
