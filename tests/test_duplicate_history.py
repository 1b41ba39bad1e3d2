"""De-duplication taken over from the last run: while the documents checked so far are the
same as last time, last time's outcomes are reused; after the first difference every
document is checked afresh, and the outcomes always equal a run from nothing."""

from __future__ import annotations

import pytest

from pipeline.components.clean.ingest import DuplicateFinder

BASE = (
    "有关部门表示，将加强对人工智能生成内容的管理，要求平台标注合成内容，防止虚假信息传播。"
    "多家媒体机构已经建立了内部规范，明确哪些环节可以使用生成工具，哪些环节必须由编辑人工核实。"
    "业内人士指出，技术本身并无好坏，关键在于使用者是否建立了可靠的审核流程，以及出错之后由谁负责。"
    "专家建议，高校和研究机构应当开设相关课程，帮助公众理解生成式模型的能力边界与潜在风险。"
)
OTHER = "气象台预计，本周南方地区将出现持续降雨，部分地区有暴雨，请市民注意出行安全，提前做好防范。" * 2
THIRD = "国家队在亚洲杯比赛中以三比一战胜对手，主教练赛后表示，球员们执行了赛前布置的战术。" * 2

DOCS = [
    ("a", BASE, None),
    ("b", BASE, None),                              # exact duplicate of a
    ("c", BASE.replace("多家", "许多"), None),       # near duplicate of a
    ("d", OTHER, "2024-01-01"),
    ("e", OTHER.replace("本周", "下周"), "2024-01-02"),  # same template, another day: kept
    ("f", THIRD, None),
]
NEW = [("g", THIRD.replace("三比一", "三比二"), None), ("h", "今天是个好天气，" * 12, None)]


class CountingFinder(DuplicateFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.searched: list[str] = []

    def _search(self, doc_id, text, digest, date):
        self.searched.append(doc_id)
        return super()._search(doc_id, text, digest, date)


def outcomes(docs, history=None):
    finder = CountingFinder(0.9, history=history)
    return [finder.check(*doc) for doc in docs], finder


def test_fresh_run_finds_the_duplicates():
    found, _ = outcomes(DOCS)
    assert found == [None, ("exact_duplicate", "a"), ("near_duplicate", "a"), None, None, None]


def test_same_documents_reuse_every_outcome_without_searching():
    fresh, first = outcomes(DOCS)
    again, second = outcomes(DOCS, history=first.log)
    assert again == fresh and second.searched == []
    assert second.log == first.log


@pytest.mark.parametrize(
    "changed, searched_from",
    [
        (DOCS + NEW, "g"),                                    # new documents at the end
        (DOCS[:3] + NEW[:1] + DOCS[3:], "g"),                  # a new document in the middle
        (DOCS[:3] + [("d", OTHER + "。", "2024-01-01")] + DOCS[4:], "d"),  # an edited text
        (DOCS[:3] + [("d", OTHER, "2024-02-01")] + DOCS[4:], "d"),       # an edited date
        ([DOCS[1], DOCS[0]] + DOCS[2:], "b"),                  # another order
    ],
)
def test_after_a_difference_outcomes_equal_a_fresh_run(changed, searched_from):
    _, first = outcomes(DOCS)
    fresh, _ = outcomes(changed)
    reused, finder = outcomes(changed, history=first.log)
    assert reused == fresh
    position = [doc[0] for doc in changed].index(searched_from)
    expected = [doc_id for (doc_id, _, _), outcome in zip(changed[position:], fresh[position:])]
    assert finder.searched == expected
