"""``python -m pipeline``: run, inspect and measure the pipeline.

Subcommands that measure (``eval <stage>``, ``bench``) print a table and then, with
``--json``, one JSON object on the last line. ``eval <stage>`` dispatches to
``pipeline.evaluate.<stage>.main(argv)`` so each stage keeps its scorer beside its peers.
"""

from __future__ import annotations

import argparse
import importlib
import sys

EVAL_STAGES = ("clean", "segment", "ner", "stance", "summary")


def _cmd_eval(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m pipeline eval {{{','.join(EVAL_STAGES)}}} [--gold PATH] [--json]")
        return 0 if argv else 2
    stage, rest = argv[0], argv[1:]
    if stage not in EVAL_STAGES:
        print(f"error: unknown stage {stage!r}; choose one of {', '.join(EVAL_STAGES)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"pipeline.evaluate.{stage}")
    return int(module.main(rest) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":
        return _cmd_eval(argv[1:])
    if argv and argv[0] == "bench":
        from pipeline.bench import main as bench

        return bench(argv[1:])
    from pipeline import commands  # the inspection and run commands

    return commands.main(argv)
