"""The stance stage API (load/annotate/holder_table) and its scorer's JSON contract."""

from __future__ import annotations

import copy
import json

import pytest

from pipeline.views import corpus
from pipeline.components import annotate_with
from pipeline.components.stance import cues as stance
from pipeline.evaluate import stance as evaluate_stance
from pipeline.paths import shared_dir

TEXT = (
    "张伟明警告，人工智能可能失控。"
    "他认为必须加强对AI的监管。"
    "李娜表示，AI威胁论完全是杞人忧天。"
    "今天天气很好。"
    "该公司发布了新的大模型。"
)


def record(text=TEXT, doc_id="doc-1", entities=()):
    sentences, start = [], 0
    for index, char in enumerate(text):
        if char == "。":
            sentences.append([start, index + 1])
            start = index + 1
    return {"id": doc_id, "text": text, "meta": {}, "sentences": sentences, "entities": list(entities)}


@pytest.fixture(scope="module")
def model():
    return stance.load({})


def test_annotate_adds_the_layer_without_touching_its_input(model):
    records = [record()]
    before = copy.deepcopy(records)
    (out,) = annotate_with(stance, records, model)
    assert records == before
    entries = out["stance"]["sentences"]
    assert [e["sent"] for e in entries] == [0, 1, 2, 4]  # the weather sentence is not about AI
    for entry in entries:
        begin, end = out["sentences"][entry["sent"]]
        assert (entry["begin"], entry["end"]) == (begin, end) and entry["text"] == out["text"][begin:end]
        assert -1 <= entry["score"] <= 1 and 0 <= entry["confidence"] <= 1
        if entry["cue"]:
            cue_text, cue_begin, cue_end = entry["cue"]
            assert out["text"][cue_begin:cue_end] == cue_text and begin <= cue_begin < cue_end <= end
    assert [e["stance"] for e in entries] == ["concerned", "concerned", "dismissive", "neutral"]
    assert [e["holder"] for e in entries] == ["张伟明", "张伟明", "李娜", None]
    json.dumps(out, ensure_ascii=False)


def test_profile_gives_each_holder_a_stance_with_evidence(model):
    (out,) = annotate_with(stance, [record()], model)
    profile = out["stance"]["profile"]
    assert profile["counts"] == {"concerned": 2, "neutral": 1, "dismissive": 1}
    by_holder = {h["holder"]: h for h in profile["holders"]}
    assert by_holder["张伟明"]["stance"] == "concerned" and by_holder["张伟明"]["evidence"]
    assert by_holder["李娜"]["stance"] == "dismissive"
    assert "杞人忧天" in by_holder["李娜"]["evidence"][0]


def test_holders_take_the_canonical_entity_name(model):
    entity = {"id": "E0", "name": "张伟明教授", "type": "PER", "mentions": [[0, 3]], "aliases": ["张伟明"]}
    (out,) = annotate_with(stance, [record(entities=[entity])], model)
    assert out["stance"]["sentences"][0]["holder"] == "张伟明教授"


def test_holder_table_merges_documents(model):
    other = record("张伟明指出，深度伪造诈骗层出不穷，危害巨大。", doc_id="doc-2")
    table = corpus.holder_table(annotate_with(stance, [record(), other], model))
    row = next(r for r in table if r["holder"] == "张伟明")
    assert row["documents"] == ["doc-1", "doc-2"] and row["stance"] == "concerned"
    scores = [e["score"] for r in annotate_with(stance, [record(), other], model) for e in r["stance"]["sentences"] if e["holder"] == "张伟明"]
    assert row["strongest_evidence"]["score"] == max(scores, key=abs)


def test_eval_prints_one_json_object_last(tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "d1.txt").write_text("王立新警告，AI可能失控。\n今天天气很好。\n", encoding="utf-8")
    rows = [
        {"id": "t-0", "doc": "d1", "text": "王立新警告，AI可能失控。", "stance": "concerned", "holder": "王立新", "cue": "AI可能失控", "source": "d1.txt"},
        {"id": "t-1", "doc": "d2", "text": "专家们认为AI威胁论是杞人忧天。", "stance": "dismissive", "holder": None, "cue": "杞人忧天", "source": "d2.txt"},
        {"id": "t-2", "doc": "d2", "text": "该公司发布了大模型。", "stance": "neutral", "holder": None, "cue": None, "source": "d2.txt"},
    ]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert evaluate_stance.main(["--gold", str(gold), "--raw", str(raw), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(report) >= {"macro_f1", "per_class", "holder_acc", "holder_null_acc", "ai_detect", "peers"}
    assert set(report["per_class"]["concerned"]) >= {"p", "r", "f1"}
    assert report["macro_f1"] == 1.0 and report["holder_acc"] == 1.0 and report["holder_null_acc"] == 1.0
    assert report["ai_detect"]["p"] == 1.0 and report["ai_detect"]["r"] == 1.0
    assert "macro_f1" in report["peers"]["lexicon"]


def test_guideline_sentence_split_keeps_closing_quotes():
    raw = "![](http://x/y.png)\n**马斯克直言“AI比核武器更危险。”他说：「很危险！」**\n  * 要点一。"
    assert evaluate_stance.guideline_sentences(raw) == ["马斯克直言“AI比核武器更危险。”", "他说：「很危险！」", "要点一。"]


DEV = shared_dir() / "eval" / "ai_stance" / "dev.jsonl"


@pytest.mark.skipif(not DEV.exists(), reason="shared ai_stance dev set not available")
def test_dev_set_clears_the_bars(capsys):
    assert evaluate_stance.main(["--json", "--component", "zh.stance.cues.v2"]) == 0  # the rules, as written against dev
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["macro_f1"] >= 0.80 and report["holder_acc"] >= 0.85
    assert report["macro_f1"] > report["peers"]["lexicon"]["macro_f1"]


def test_seed_article_profiles_musk_concerned_and_xia_dismissive(model):
    """The issue's acceptance example, on the committed seed (raw/002_…): guideline sentences."""
    from pipeline.paths import REPO_ROOT

    raw = (REPO_ROOT / "raw" / "002_666ca9bd639e9b56.txt").read_text(encoding="utf-8")
    text, spans = "", []
    for sentence in evaluate_stance.guideline_sentences(raw):
        spans.append([len(text), len(text) + len(sentence)])
        text += sentence + "\n"
    (out,) = annotate_with(stance, [{"id": "seed", "text": text, "meta": {}, "sentences": spans}], model)
    by_holder = {h["holder"]: h for h in out["stance"]["profile"]["holders"]}
    assert by_holder["埃隆·马斯克"]["stance"] == "concerned" and by_holder["埃隆·马斯克"]["evidence"]
    assert by_holder["夏海龙"]["stance"] == "dismissive"
    assert "机械模仿" in by_holder["夏海龙"]["evidence"][0]
