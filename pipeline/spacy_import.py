"""spaCy, imported without torch and without its command line.

Every workflow job that touches spaCy (NER's EntityRuler, the report's displaCy) pays its
import, and two parts of it serve nothing here:

* thinc, spaCy's model library, imports torch whenever it is installed (HanLP needs it
  here): about 1.5 s. No spaCy component this project uses runs on torch (a blank
  pipeline, the EntityRuler, displaCy, DocBin).
* ``spacy/__init__`` imports ``spacy.cli`` only to expose ``spacy.info``, and the CLI
  package imports every command with typer, weasel and an HTTP client: about 0.3 s.

So spaCy is imported with torch hidden and with a stand-in for ``spacy.cli``; both are
removed right after, so ``import torch`` and ``import spacy.cli`` give the real modules
later, and ``spacy.info`` loads the real command when called.
"""

from __future__ import annotations

import sys
import types


def _info(*args, **kwargs):
    """``spacy.info``: the real command, imported when first used."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _cli_stand_ins() -> dict[str, types.ModuleType]:
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = []  # a package, so `from .cli.info import info` looks for the submodule
    info = types.ModuleType("spacy.cli.info")
    info.info = _info
    cli.info = info
    return {"spacy.cli": cli, "spacy.cli.info": info}


def import_spacy():
    """The ``spacy`` module, imported the first time with torch and the CLI kept out."""
    if "spacy" not in sys.modules:
        hidden: dict[str, object] = {} if "torch" in sys.modules else {"torch": None}  # None: ImportError
        if "spacy.cli" not in sys.modules:
            hidden.update(_cli_stand_ins())
        sys.modules.update(hidden)
        try:
            import spacy  # noqa: F401
        finally:
            for name, module in hidden.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
            package = sys.modules.get("spacy")
            if package is not None and getattr(package, "cli", None) is hidden.get("spacy.cli"):
                del package.cli  # `from spacy import cli` must import the real package
    import spacy

    return spacy
