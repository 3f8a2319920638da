"""One compiled matcher over every name and alias of every person and organisation.

The alternation is built as a trie, so matching costs about one pass over the text whatever the number
of names (a plain `a|b|c…` alternation would try each name at each position).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from builder.model import Entity


def _trie_pattern(words: list[str], after_first: str = "") -> str:
    """One alternation of `words`; `after_first` (a lookbehind) follows each word's first character."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict], guard: str = "") -> str:
        end = "" in node
        branches = [re.escape(char) + guard + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Optional continuation is greedy, so the longest name wins ("Maria Kolesnikova" over "Maria").
        return f"(?:{body})?" if end else body

    return emit(trie, after_first)


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
        # Not after a word character: checked just after a name's first character (the `.`), so that the
        # pattern opens with the names' first characters and the regex engine skips ahead to the next one
        # (a pattern opening with the lookbehind is tried at every position). An empty name has no first one.
        body = (r"(?<!\w)" + _trie_pattern(names) if "" in self.owner
                else _trie_pattern(names, after_first=r"(?<!\w.)"))
        self.pattern = re.compile(body + r"(?!\w)") if names else None

    def finditer(self, text: str) -> Iterator[Match]:
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            entity = self.owner.get(match.group(0))
            if entity:
                yield Match(match.start(), match.end(), entity)
