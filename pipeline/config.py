"""Stage settings with their defaults, from one place: ``workflow/schemas/config.schema.json``.

The workflow validates ``config/config.yaml`` against that schema (Snakemake fills in the
defaults); components built outside the workflow (tests, eval, :func:`pipeline.annotate`) get
the same defaults and the same checks here, so no module keeps defaults of its own.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from pipeline.paths import REPO_ROOT, ConfigError

SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "config.schema.json"


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def with_defaults(section: str, config: dict | None = None) -> dict:
    """``config`` (one stage's section) over the schema's defaults for it; a key the schema
    does not know, or a value of the wrong type, is a :class:`ConfigError` naming the key."""
    spec = schema()["properties"][section]
    merged = {key: copy.deepcopy(prop["default"]) for key, prop in spec["properties"].items() if "default" in prop}
    merged.update(config or {})
    unknown = sorted(set(merged) - set(spec["properties"]))
    if unknown:
        raise ConfigError(f"{section}: unknown config keys {unknown}; known: {sorted(spec['properties'])}")
    import jsonschema  # only when checking: the stage jobs get a validated config already

    try:
        jsonschema.validate(merged, spec)
    except jsonschema.ValidationError as error:
        where = ".".join(str(part) for part in error.absolute_path)
        raise ConfigError(f"{section}.{where}: {error.message}") from None
    return merged


def defaults() -> dict:
    """The whole workflow config with every default filled in (what ``annotate`` runs with)."""
    top = schema()["properties"]
    config = {key: copy.deepcopy(prop.get("default")) for key, prop in top.items() if prop.get("type") != "object"}
    config.update({key: with_defaults(key) for key, prop in top.items() if prop.get("type") == "object"})
    return config
