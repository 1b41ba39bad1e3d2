"""The SIGHAN-style scorer: spans over the whole file, OOV recall."""

import pytest

from pipeline.evaluate.segment import score


def test_segment_score_perfect():
    gold = [["我们", "在", "北京"]]
    assert score(gold, gold, known={"我们", "在", "北京"}) == {"p": 1.0, "r": 1.0, "f1": 1.0, "oov_recall": 0.0}


def test_segment_score_counts_spans_not_strings():
    gold = [["我们", "在", "北京", "在"]]
    predicted = [["我", "们在", "北京在"]]  # 在 occurs in gold, but no predicted span matches
    result = score(gold, predicted)
    assert result == {"p": 0.0, "r": 0.0, "f1": 0.0}


def test_segment_score_partial_and_oov():
    gold = [["研究", "生命", "起源"], ["新词"]]
    predicted = [["研究生", "命", "起源"], ["新词"]]
    result = score(gold, predicted, known={"研究", "生命", "起源"})
    # correct: 起源, 新词 → P = 2/4, R = 2/4
    assert result["p"] == 0.5 and result["r"] == 0.5 and result["f1"] == 0.5
    assert result["oov_recall"] == 1.0  # the only OOV word, 新词, was found


def test_segment_score_rejects_changed_text():
    with pytest.raises(ValueError):
        score([["北京"]], [["南京"]])


def test_segment_score_ignores_whitespace_tokens_of_peers():
    assert score([["北京", "欢迎"]], [["北京", " ", "欢迎"]])["f1"] == 1.0


def test_segment_score_is_over_the_whole_file_not_per_line():
    # the MSR test text breaks 16 lines elsewhere than its gold file does
    gold = [["他", "说", "：", "“"], ["好", "。", "”"]]
    predicted = [["他", "说", "："], ["“", "好", "。", "”"]]
    assert score(gold, predicted)["f1"] == 1.0
