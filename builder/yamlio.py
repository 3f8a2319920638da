"""YAML reading that keeps line numbers, so schema errors can point at the offending key."""

from __future__ import annotations

from typing import Any

import yaml

from builder.problems import Pos, Problems


class YDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class YList(list):
    """A sequence that remembers its own line and each item's."""

    line: int = 0
    item_lines: list[int]


# Deeper nesting than this is an error: no content needs it, and Python's composer and constructor recurse.
MAX_DEPTH = 64


class Refused(yaml.MarkedYAMLError):
    """YAML the build will not expand (an alias) or nest (too deep), with the hint that goes with it."""

    def __init__(self, problem: str, mark: yaml.Mark, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class _BoundedComposer(yaml.composer.Composer):
    """Builds the node tree from parser events, refusing aliases before anything could expand them.

    An alias (`*name`) makes one node appear in many places: nine aliases of nine aliases of … make a
    1 KB file expand to billions of values (the "billion laughs"). Content never needs one."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise Refused(f"aliases (*{event.anchor}) are not allowed", event.start_mark,
                          "write the value out in full where it is needed")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise Refused(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark,
                              "flatten the structure: content needs a few levels at most")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's parser when present (several times faster); both keep line marks on every node.
_PARSER = getattr(yaml.cyaml, "CParser", None) if yaml.__with_libyaml__ else None


class _Loader(_BoundedComposer, _PARSER or yaml.parser.Parser,  # type: ignore[misc]
              yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """A safe loader whose maps and lists carry positions, that rejects duplicate keys and aliases."""

    duplicate_keys: list[tuple[str, int]]

    def __init__(self, stream: str) -> None:
        if _PARSER is not None:
            _PARSER.__init__(self, stream)
        else:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        _BoundedComposer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


def _construct_map(loader: _Loader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = YDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    # Keys a merge (`<<: {…}`) brings in may be overridden by the mapping's own: only those are duplicates.
    own = {id(key_node) for key_node, _ in node.value}
    loader.flatten_mapping(node)
    seen: set[object] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            key = str(key)
        if id(key_node) in own:
            if key in seen:
                loader.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
            seen.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[str(key)] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):  # type: ignore[no-untyped-def]
    data = YList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates stay the text the editor wrote: the site never reformats or invents a date.
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def parse_yaml(text: str, path: str, problems: Problems, first_line: int = 1) -> Any:
    """Parse YAML text; on a syntax error record `path:line` and return None.

    `first_line` is the file line where `text` starts (front matter starts below its `---`).
    """
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except Refused as exc:
        problems.error(Pos(path, first_line + exc.problem_mark.line), str(exc.problem), exc.hint)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or exc.context or "invalid YAML"
        problems.error(Pos(path, line), f"YAML syntax: {what}",
                       "check indentation, colons and quotes around text with ': ' or '#'")
        return None
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (a control character, often pasted in unseen): say which and where.
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        line = first_line + text.count("\n", 0, max(exc.position, 0))
        problems.error(Pos(path, line), f"YAML does not allow the character U+{ord(char):04X}",
                       "delete it (retype the text around it if you cannot see it)")
        return None
    except yaml.YAMLError as exc:
        problems.error(Pos(path, first_line), "YAML: " + " ".join(str(exc).split()),
                       "check the file is valid YAML")
        return None
    finally:
        loader.dispose()
    for key, line in loader.duplicate_keys:
        problems.error(Pos(path, first_line - 1 + line), f"duplicate key '{key}'",
                       "each key may appear once in a mapping; remove or merge one")
    return _shift(data, first_line - 1) if first_line != 1 else data


def _shift(data: Any, offset: int) -> Any:
    """Move recorded lines by `offset` (for YAML embedded below other lines)."""
    if isinstance(data, YDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, YList):
        data.line += offset
        data.item_lines = [v + offset for v in data.item_lines]
        for value in data:
            _shift(value, offset)
    return data


def line_of(data: Any, key: str | None = None, default: int = 0) -> int:
    """The line of `data` itself, or of one of its keys when `key` is given."""
    if key is not None and isinstance(data, YDict):
        return data.key_lines.get(key, data.line)
    return getattr(data, "line", default)

