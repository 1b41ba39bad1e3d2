"""The document record's JSON Schema (``workflow/schemas/record.schema.json``, beside the
config schema): every layer and field. :func:`validate_record` checks one record against it
and that every span lies inside the text."""

from __future__ import annotations

import json
from functools import lru_cache

from pipeline.paths import REPO_ROOT

SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "record.schema.json"


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def record_errors(record: dict) -> list[str]:
    """Every way ``record`` breaks the schema or points outside its text (empty: valid)."""
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in _validator().iter_errors(record)]
    if errors:
        return errors
    n = len(record["text"])
    spans = [("sentences", b, e) for b, e in record["sentences"]]
    spans += [("tok", b, e) for _, b, e in record.get("tok", [])]
    spans += [("ner", b, e) for _, _, b, e in record.get("ner", [])]
    spans += [("stance", s["begin"], s["end"]) for s in record.get("stance", {}).get("sentences", [])]
    spans += [("summary", b, e) for _, b, e in record.get("summary", {}).get("sentences", [])]
    errors += [f"{layer}: span [{b}, {e}] outside a text of {n} characters" for layer, b, e in spans if not 0 <= b <= e <= n]
    for word, b, e in record.get("tok", []):
        if record["text"][b:e] != word:
            errors.append(f"tok: {word!r} is not text[{b}:{e}]")
    for mention, _, b, e in record.get("ner", []):
        if record["text"][b:e] != mention:
            errors.append(f"ner: {mention!r} is not text[{b}:{e}]")
    return errors


def validate_record(record: dict) -> None:
    errors = record_errors(record)
    if errors:
        raise ValueError(f"record {record.get('id')!r}: " + "; ".join(errors[:5]))
