"""One compiled matcher over every name and alias of every person and organisation.

The alternation is built as a trie, so matching costs about one pass over the text whatever the number
of names (a plain `a|b|c…` alternation would try each name at each position).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from builder.model import Entity


def _trie_pattern(words: list[str]) -> str:
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        end = "" in node
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Optional continuation is greedy, so the longest name wins ("Maria Kolesnikova" over "Maria").
        return f"(?:{body})?" if end else body

    return emit(trie)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entity: str  # entity id


class EntityMatcher:
    """Finds every entity mentioned in a text, under any of its names."""

    def __init__(self, entities: tuple[Entity, ...]) -> None:
        self.owner: dict[str, str] = {}
        for entity in entities:
            for name in entity.all_names:
                self.owner.setdefault(name, entity.id)
        names = sorted(self.owner)
        self.pattern = (re.compile(r"(?<!\w)" + _trie_pattern(names) + r"(?!\w)")
                        if names else None)

    def finditer(self, text: str) -> Iterator[Match]:
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            entity = self.owner.get(match.group(0))
            if entity:
                yield Match(match.start(), match.end(), entity)
