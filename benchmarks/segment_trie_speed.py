"""Lexicon look-up speed: HanLP's trie walk vs substring look-ups in a set (2-core CPU).

    python benchmarks/segment_trie_speed.py

Both find every lexicon word (2..8 characters) occurring in the PKU test text (the set
version also folds them into per-character longest begin/middle/end lengths, so it does
more work); the segmenter uses the faster one for its training lexicon and the trie for
the user dictionary (leftmost-longest matching).
"""

import time

from hanlp_trie import Trie

from pipeline.components import segment
from pipeline.paths import REPO_ROOT, shared_path


def main() -> None:
    words = (REPO_ROOT / "models/segmenter/lexicon.txt").read_text(encoding="utf-8").split()
    lexicon = segment.Lexicon.from_words(words)
    lines = shared_path("eval", "sighan2005", "pku_test.utf8").read_text(encoding="utf-8").splitlines()
    chars = sum(map(len, lines))
    trie = Trie(lexicon.words)

    def set_lookup():
        return sum(len(segment.lexicon_matches(line, lexicon)) for line in lines)

    def trie_lookup():
        return sum(len(trie.parse(line)) for line in lines)

    for name, run in (("prefix-set substrings", set_lookup), ("hanlp_trie.Trie.parse", trie_lookup)):
        best = min(_timed(run) for _ in range(3))
        print(f"{name:<24} {chars / best:>12,.0f} chars/s")


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
