"""Character clusters for the NER CRF: the table's file form and the features it gives."""

from pipeline.components import ner
from pipeline.components.ner_clusters import CharClusters


def _clusters():
    return CharClusters([4, 16, 64], {"斯": (1, 5, 40), "克": (1, 5, 41), "张": (2, 9, 12)})


def test_cluster_table_round_trips_through_its_file(tmp_path):
    clusters = _clusters()
    clusters.write(tmp_path / "char_clusters.tsv")
    again = CharClusters.read(tmp_path / "char_clusters.tsv")
    assert again.sizes == [4, 16, 64] and again.table == clusters.table


def test_cluster_features_use_the_middle_size_around_and_all_sizes_of_the_character():
    feats = _clusters().features("张斯x")
    assert {"q=9", "qa=2", "qz=12", "q-1=^", "q+1=5", "qq+1=9|5"} <= set(feats[0])
    assert {"q=5", "q-1=9", "q-1q=9|5", "q+1=-"} <= set(feats[1])
    assert not any(f.startswith(("q=", "qa=", "qz=")) for f in feats[2])  # x has no cluster
    assert "q+1=$" in feats[2]


def test_sentence_features_add_clusters_only_when_given():
    lexicon = ner.Lexicon({})
    without = ner.sentence_features("斯克", lexicon)
    with_clusters = ner.sentence_features("斯克", lexicon, _clusters())
    assert not any(f.startswith("q") for f in without[0])
    assert set(without[0]) < set(with_clusters[0]) and "qa=1" in with_clusters[0]


def test_built_clusters_group_transliteration_characters_apart_from_surnames():
    from pipeline.train.char_clusters import build

    clusters = build(sizes=(64,), seed=0)
    first = {c: clusters.table[c][0] for c in "斯尔张王"}
    assert first["斯"] == first["尔"] and first["张"] == first["王"] and first["斯"] != first["张"]
