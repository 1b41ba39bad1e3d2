"""The config schema: every key described and defaulted, unknown keys and bad values
rejected with the key named; the workflow passes Snakemake's linter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.json"


def walk(schema: dict, path: str = ""):
    for key, sub in schema.get("properties", {}).items():
        yield f"{path}{key}", sub
        if sub.get("type") == "object":
            yield from walk(sub, f"{path}{key}.")


def test_config_schema_describes_and_defaults_every_key():
    schema = json.loads(SCHEMA.read_text())
    assert schema["additionalProperties"] is False
    for key, sub in walk(schema):
        assert sub.get("description"), f"{key} has no description"
        assert "default" in sub, f"{key} has no default"
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, f"{key} accepts unknown keys"


def test_config_file_is_valid():
    validate(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), str(SCHEMA))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"shardz": 2}, "shardz"),
        ({"clean": {"max_file_mb": -1}}, "max_file_mb"),
        ({"summarize": {"budget_chars": "long"}}, "budget_chars"),
        ({"segment": {"modle": "x"}}, "modle"),
    ],
)
def test_config_errors_name_the_key(change, named):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for key, value in change.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key in config else value
    with pytest.raises(Exception) as error:
        validate(config, str(SCHEMA))
    assert named in str(error.value)


def test_config_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
