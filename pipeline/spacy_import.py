"""spaCy, imported without torch.

spaCy's model library, thinc, imports torch whenever it is installed (HanLP needs it here),
and that alone costs about 1.5 s in every workflow job that touches spaCy. No spaCy
component this project uses runs on torch (a blank pipeline, the EntityRuler, displaCy,
DocBin), so spaCy is imported with torch hidden; torch itself stays importable afterwards.
"""

from __future__ import annotations

import sys


def import_spacy():
    """The ``spacy`` module, imported the first time with torch hidden from thinc."""
    if "spacy" not in sys.modules and "torch" not in sys.modules:
        sys.modules["torch"] = None  # `import torch` raises ImportError while thinc looks for it
        try:
            import spacy  # noqa: F401
        finally:
            del sys.modules["torch"]
    import spacy

    return spacy
