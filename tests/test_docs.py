"""Docs that can be checked stay true: every content key and every command is in the README."""

from __future__ import annotations

import pytest

from builder import schema
from builder.commands import new as scaffold
from builder.cli import _parser
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SCHEMAS = {name: value for name, value in vars(schema).items()
           if isinstance(value, dict) and value and all(isinstance(f, schema.Field) for f in value.values())}
SCHEMAS.update(OUTLINE=scaffold.OUTLINE, SECTION=scaffold.SECTION)


@pytest.mark.parametrize("record", sorted(SCHEMAS))
def test_every_content_key_is_documented(record: str) -> None:
    missing = [key for key in SCHEMAS[record] if f"`{key}`" not in README]
    assert missing == [], f"README does not document {record} keys {missing}"


def test_every_command_is_documented() -> None:
    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    assert [c for c in commands if f"`{c}" not in README] == []
