"""Model loading shortcuts: the compiled-model pickle cache and spaCy without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.running import caches as compiled

REPO = Path(__file__).resolve().parent.parent


def test_cached_builds_once_and_rebuilds_when_a_source_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "model.txt"
    source.write_text("weights v1")
    builds = []

    def build():
        builds.append(source.read_text())
        return {"weights": source.read_text()}

    assert compiled.cached("toy", [source], build) == {"weights": "weights v1"}
    assert compiled.cached("toy", [source], build) == {"weights": "weights v1"}
    assert builds == ["weights v1"]
    source.write_text("weights v2")
    assert compiled.cached("toy", [source], build) == {"weights": "weights v2"}
    assert builds == ["weights v1", "weights v2"]


def test_a_corrupt_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "model.txt"
    source.write_text("w")
    compiled.cached("toy", [source], lambda: [1, 2, 3])
    (entry,) = (tmp_path / "cache" / "compiled").glob("toy-*.pkl")
    entry.write_bytes(b"\x80\x05 not a pickle")
    assert compiled.cached("toy", [source], lambda: [4, 5]) == [4, 5]


def test_cached_segmenter_tables_tag_like_a_fresh_compile(tmp_path, monkeypatch):
    from pipeline.components import segment

    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    text = ["人工智能的风险引起了专家的担忧。"]
    fresh = segment.load({})
    cached = segment.load({})  # second load: from the pickle
    assert list((tmp_path / "cache" / "compiled").glob("segmenter-*.pkl"))
    assert cached.segment_texts(text) == fresh.segment_texts(text)


def fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (imports start from nothing); its stdout."""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_spacy_is_imported_without_torch_and_torch_still_imports_after():
    code = (
        "import sys\n"
        "from pipeline.spacy_import import import_spacy\n"
        "spacy = import_spacy()\n"
        "assert 'torch' not in sys.modules, 'spaCy pulled torch in'\n"
        "nlp = spacy.blank('xx'); nlp.add_pipe('entity_ruler')\n"
        "import torch\n"
        "print('ok', torch.__version__)\n"
    )
    assert fresh_python(code).startswith("ok")


def test_spacy_is_imported_without_its_cli_and_the_cli_still_works_after():
    code = (
        "import sys\n"
        "from pipeline.spacy_import import import_spacy\n"
        "spacy = import_spacy()\n"
        "assert 'spacy.cli' not in sys.modules and 'typer' not in sys.modules, 'the CLI was imported'\n"
        "from spacy.displacy.render import EntityRenderer\n"
        "html = EntityRenderer({}).render([{'text': '马斯克', 'ents': [{'start': 0, 'end': 3, 'label': 'PER'}]}])\n"
        "assert 'PER' in html\n"
        "from spacy import cli\n"
        "assert hasattr(cli, 'download') and hasattr(cli, 'init_config'), 'a stand-in, not the real CLI'\n"
        "import spacy.cli.info\n"
        "data = spacy.info(markdown=False, silent=True)\n"
        "assert data['spacy_version'] == spacy.__version__\n"
        "print('ok')\n"
    )
    assert fresh_python(code).strip().endswith("ok")


def test_a_cached_segmenter_points_at_the_model_file_it_was_asked_for(tmp_path, monkeypatch):
    import shutil

    from pipeline.components import segment
    from pipeline.paths import REPO_ROOT

    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    source = REPO_ROOT / "models" / "segmenter" / "model.crfsuite"
    first, second = tmp_path / "a" / "model.crfsuite", tmp_path / "b" / "model.crfsuite"
    for copy in (first, second):
        copy.parent.mkdir()
        shutil.copy(source, copy)
    segment.compiled_crf(first)
    first.unlink()  # the second load hits the cache built from the first path
    assert segment.compiled_crf(second).model_path == second


def test_only_the_most_recently_used_entries_of_a_kind_are_kept(tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("ZHNLP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(compiled, "KEEP_PER_KIND", 3)
    folder = tmp_path / "cache" / "compiled"
    source = tmp_path / "model.txt"

    def build(version):
        source.write_text(f"version {version}")
        before = set(folder.glob("toy-*.pkl"))
        compiled.cached("toy", [source], lambda: version)
        compiled.cached("toy-other", [source], lambda: version)  # a kind whose name starts the same
        return (set(folder.glob("toy-????????????????????????.pkl")) - before).pop()

    entries = [build(version) for version in range(3)]
    for age, entry in zip((300, 200, 100), entries):  # v0 oldest
        os.utime(entry, (time.time() - age, time.time() - age))
    source.write_text("version 0")
    assert compiled.cached("toy", [source], lambda: "rebuilt") == 0  # a hit marks v0 used
    newest = build(3)
    kept = set(folder.glob("toy-????????????????????????.pkl"))
    assert kept == {entries[0], entries[2], newest}  # v1, least recently used, is gone
    assert len(list(folder.glob("toy-other-*.pkl"))) == 3
