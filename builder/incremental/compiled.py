"""Templates compiled by an earlier build in this process (the live server's), kept in its `IncrementalState`."""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class CompiledTemplates(BytecodeCache):
    """Templates compiled by earlier builds in this process (the live server's), in memory only. Jinja
    checks each against its template's source before using it, so an edited template is compiled again."""

    def __init__(self, code: dict[str, bytes]) -> None:
        self.code = code  # held by the caller from build to build (IncrementalState.compiled)

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()
