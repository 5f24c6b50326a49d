"""A small reader of IPS p5m files, for the packaging tests.

pkgmogrify, pkgdepend and pkglint do not exist off Solaris, so the tests read the
manifests themselves: actions, key=value pairs with quoting, continuation lines,
comments, and pkgmogrify's $(MACRO) substitution (pkgmogrify(1)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ManifestSyntaxError(ValueError):
    pass


@dataclass
class Action:
    name: str
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def one(self, key: str) -> str:
        values = self.attributes.get(key, [])
        if len(values) != 1:
            raise AssertionError(f"{self.name} action: {key} has {len(values)} values")
        return values[0]


def substitute(line: str, macros: Mapping[str, str]) -> str:
    """pkgmogrify's $(NAME) substitution; an undefined macro is an error here."""
    out = ""
    rest = line
    while "$(" in rest:
        before, _, after = rest.partition("$(")
        name, closed, rest = after.partition(")")
        if not closed:
            raise ManifestSyntaxError(f"unclosed macro in {line!r}")
        if name not in macros:
            raise ManifestSyntaxError(f"undefined macro $({name}) in {line!r}")
        out += before + macros[name]
    return out + rest


def logical_lines(text: str) -> list[str]:
    """Join backslash-continued lines; drop comments and blank lines."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        raise ManifestSyntaxError("the last line ends with a continuation")
    return lines


def tokens(line: str) -> list[tuple[str, str]]:
    """Split ``key=value key="quoted value"`` pairs; backslash escapes inside quotes."""
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(line):
        if line[index].isspace():
            index += 1
            continue
        equals = line.find("=", index)
        space = next((i for i in range(index, len(line)) if line[i].isspace()), len(line))
        if equals < 0 or equals > space:
            raise ManifestSyntaxError(f"not key=value at column {index}: {line!r}")
        key = line[index:equals]
        index = equals + 1
        if index < len(line) and line[index] in "\"'":
            quote = line[index]
            index += 1
            value = ""
            while True:
                if index >= len(line):
                    raise ManifestSyntaxError(f"unclosed quote in {line!r}")
                char = line[index]
                if char == "\\" and index + 1 < len(line):
                    value += line[index + 1]
                    index += 2
                    continue
                index += 1
                if char == quote:
                    break
                value += char
        else:
            end = next((i for i in range(index, len(line)) if line[i].isspace()), len(line))
            value = line[index:end]
            index = end
        pairs.append((key, value))
    return pairs


def parse_p5m(text: str, macros: Mapping[str, str]) -> list[Action]:
    actions = []
    for line in logical_lines(text):
        name, _, rest = substitute(line, macros).strip().partition(" ")
        action = Action(name)
        for key, value in tokens(rest):
            action.attributes.setdefault(key, []).append(value)
        actions.append(action)
    return actions


def delivered(actions: list[Action], kind: str) -> dict[str, Action]:
    found: dict[str, Action] = {}
    for action in actions:
        if action.name == kind:
            path = action.one("path")
            assert path not in found, f"{path} delivered twice"
            found[path] = action
    return found


def settings(actions: list[Action]) -> dict[str, list[str]]:
    return {a.one("name"): a.attributes["value"] for a in actions if a.name == "set"}


def staged(proto: Path, kind: str) -> set[str]:
    test = Path.is_dir if kind == "dir" else Path.is_file
    return {str(p.relative_to(proto)) for p in proto.rglob("*") if test(p)}
