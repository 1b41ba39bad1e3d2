"""The NER training helpers and scorer on tiny hand-made files (no downloads, no shared data)."""

import json

import pytest

from pipeline.evaluate import ner as evaluate
from pipeline.train import ner as train


def test_ner_peoples_daily_lexicon_joins_split_names_and_counts_surnames():
    sentence = [("江", "nr"), ("泽民", "nr"), ("在", "p"), ("北京", "ns"), ("会见", "v"), ("新华社", "nt")]
    words = train.peoples_daily_lexicon([sentence] * 3)
    assert words["江泽民"] == {"PER"} and words["北京"] == {"LOC"} and words["新华社"] == {"ORG"}
    assert words["江"] == {"SUR"}                 # seen three times before a given name
    assert "泽民" not in words
    assert "江" not in train.peoples_daily_lexicon([sentence] * 2)   # rarer: not a surname


def test_ner_vocabulary_keeps_other_words_only():
    sentence = [("中国", "ns"), ("银行", "n"), ("１９９８年", "t"), ("发展", "v"), ("了", "u")]
    assert train.peoples_daily_vocabulary([sentence]) == {"银行": {"W"}, "发展": {"W"}}


def test_ner_names_of_reads_bmes_and_merged_unions_types():
    names = train.names_of([("张明在北京", "B-PER E-PER O B-LOC E-LOC".split())])
    assert names == {"张明": {"PER"}, "北京": {"LOC"}}
    assert train.merged(names, {"北京": {"ORG"}})["北京"] == {"LOC", "ORG"}


@pytest.fixture
def gold_files(tmp_path):
    bio = tmp_path / "test.bio"
    bio.write_text("张\tB-PER\n明\tI-PER\n在\tO\nＡ\tB-ORG\n\n北\tB-LOC\n京\tI-LOC\n", encoding="utf-8")
    cluener = tmp_path / "dev.json"
    rows = [{"text": "温格在伦敦", "label": {"name": {"温格": [[0, 1]]}, "address": {"伦敦": [[3, 4]]},
                                         "game": {"伦敦": [[3, 4]]}}}]
    cluener.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return bio, cluener


def test_ner_read_gold_files(gold_files):
    bio, cluener = gold_files
    assert evaluate.read_bio(bio) == [("张明在A", {("PER", 0, 2), ("ORG", 3, 4)}), ("北京", {("LOC", 0, 2)})]
    assert evaluate.read_cluener(cluener) == [("温格在伦敦", {("PER", 0, 2), ("LOC", 3, 5)})]


def test_ner_score_exact_match_per_type():
    gold = [{("PER", 0, 2), ("LOC", 3, 5)}, {("ORG", 0, 4)}]
    pred = [{("PER", 0, 2), ("LOC", 3, 4)}, {("ORG", 0, 4), ("PER", 5, 6)}]
    result = evaluate.score(gold, pred)
    assert (result["p"], result["r"], result["f1"]) == (0.5, 0.6667, 0.5714)
    assert (result["per"], result["loc"], result["org"]) == (0.6667, 0.0, 1.0)
    assert evaluate.score([set()], [set()])["f1"] == 0.0


def test_ner_silver_tags_mark_listed_forms_longest_first_without_overlap():
    forms = [("OpenAI公司", "ORG"), ("OpenAI", "ORG"), ("奥特曼", "PER"), ("美", "LOC")]
    tags = train.silver_tags("奥特曼说OpenAI公司在美,OpenAI很忙", forms)
    assert tags[:3] == ["B-PER", "M-PER", "E-PER"]
    assert tags[4:12] == ["B-ORG"] + ["M-ORG"] * 6 + ["E-ORG"]       # the longer form wins
    assert tags[13] == "S-LOC"
    assert tags[15:21] == ["B-ORG"] + ["M-ORG"] * 4 + ["E-ORG"]      # the shorter one elsewhere
    assert tags.count("O") == 5                                     # 说 在 , 很 忙
    assert train.silver_tags("无名", forms) == ["O", "O"]


def test_ner_unseen_pages_config_names_the_crf_without_the_pages(tmp_path, monkeypatch):
    from pipeline.components import ner

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text(json.dumps({"without_pages": "base"}), encoding="utf-8")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(ner, "REPO_ROOT", tmp_path)
    assert ner.unseen_pages_config({"model": "m"})["model"] == "base"
    assert ner.unseen_pages_config({"model": "m"})["rescore"] is False
    assert ner.unseen_pages_config({"model": "plain"})["model"] == "plain"
