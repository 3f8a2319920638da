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


# libyaml's parser when present (several times faster); both keep line marks on every node.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader whose maps and lists carry positions and reject duplicate keys."""

    duplicate_keys: list[tuple[str, int]]


def _construct_map(loader: _Loader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = YDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            key = str(key)
        if key in data:
            loader.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
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

