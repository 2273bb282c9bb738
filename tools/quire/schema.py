"""A small schema language mirroring quire's validators, and checking a tree with it.

Each class checks one :class:`~tools.quire.nodes.Node` and reports what is
wrong through a :class:`Checker`; nothing raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..problems import Problem, Severity
from .loading import join_key, load, read_source
from .nodes import TOP, Items, Node, Record, TagValue
from .numbers import parse_int

INVALID = object()


class Checker:
    """Collects problems while a node tree is checked against a schema."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def error(self, line: int, key: str, message: str, severity: Severity = "error",
              column: int = 0, rule: str = "") -> None:
        """Record one problem (*column* 1-based, 0 when unknown)."""
        self.problems.append(Problem(self.filename, line, key, message, severity,
                                     column, rule))


class Schema:
    """Base of the schema classes: ``check`` returns the value or :data:`INVALID`."""

    optional: bool = False
    default: Any = None
    has_default: bool = False

    def check(self, node: Node, ctx: Checker, key: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    def missing(self) -> Any:
        """The value used when the key is absent (INVALID when required)."""
        if self.has_default:
            return self.default
        if self.optional:
            return None
        return INVALID

    def null(self, node: Node, ctx: Checker, key: str) -> Any:
        """What an explicit null means here."""
        if self.optional:
            return None
        ctx.error(node.line, key, "must not be null", rule="wrong-type")
        return INVALID

    def default_or_null(self, node: Node, ctx: Checker, key: str) -> Any:
        """A null scalar: the default when there is one and the null has no tag, else
        what :meth:`null` says."""
        if self.has_default and node.tag is None:
            return self.default
        return self.null(node, ctx, key)


def _describe(node: Node) -> str:
    return {"map": "a mapping", "seq": "a list", "null": "null"}.get(
        node.kind, repr(node.value))


class Anything(Schema):
    """Any value (lithos ``metadata``); converted to plain Python data."""

    optional = True

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        return plain(node)


class Str(Schema):
    """A scalar (quire ``Scalar``): text, or None when ``optional`` and null."""

    def __init__(self, *, optional: bool = False, default: Any = None,
                 has_default: bool | None = None,
                 validate: Callable[[str], str | None] | None = None) -> None:
        self.optional = optional
        self.default = default
        self.has_default = default is not None if has_default is None else has_default
        self.validate = validate

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind != "scalar":
            ctx.error(node.line, key, f"must be a scalar, not {_describe(node)}", rule="wrong-type")
            return INVALID
        if node.tag is not None:
            # quire reads a tagged text as the text (lithos_check and vagga _list take it)
            ctx.error(node.line, key, f"the tag {node.tag} means nothing here: quire "
                      "ignores it and reads the text", "warning", rule="ignored-tag")
        if self.validate is not None:
            message = self.validate(node.value)
            if message:
                ctx.error(node.line, key, message, rule="bad-value")
                return INVALID
        return node.value


RUST_RANGES = {"u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1), "u64": (0, 2**64 - 1),
               "usize": (0, 2**64 - 1), "i32": (-(2**31), 2**31 - 1),
               "i64": (-(2**63), 2**63 - 1)}
"""The ranges of the Rust integer types config fields are decoded into (64-bit hosts)."""


class Int(Schema):
    """An integer. ``units=True`` is quire's ``Numeric`` (units, 0x/0o/0b);
    ``units=False`` is a plain Rust integer field (decimal digits only)."""

    def __init__(self, *, min: int | None = None, max: int | None = None,
                 default: int | None = None, optional: bool = False,
                 units: bool = True, rust: str | None = None) -> None:
        self.min, self.max = min, max
        self.default = default
        self.has_default = default is not None
        self.optional = optional
        self.units = units
        self.rust = rust
        """The Rust integer type the tool decodes the field into (``u32``): a value
        outside it is refused as the tool refuses it ("bad u32")."""

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind != "scalar" or node.tag is not None:
            ctx.error(node.line, key, f"must be an integer, not {_describe(node)}",
                      rule="wrong-type")
            return INVALID
        text = node.value
        try:
            value = parse_int(text) if self.units else _plain_int(text)
        except ValueError:
            hint = ""
            if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", text, re.I):
                hint = " (floats are not accepted here)"
            elif self.units is False and re.fullmatch(r"\w+", text):
                hint = " (a plain decimal number is expected)"
            elif self.units and (unit := re.fullmatch(r"\s*[+-]?\d+\s*([a-zA-Z]+)", text)):
                hint = (f" ({unit.group(1)!r} is not a unit quire knows; use k, M, G "
                        "(powers of 1000) or ki, Mi, Gi (powers of 1024), e.g. 256Mi)")
            ctx.error(node.line, key, f"not an integer: {text!r}{hint}".replace("'", '"'),
                      rule="not-integer")
            return INVALID
        if self.rust is not None:
            low, high = RUST_RANGES[self.rust]
            if not low <= value <= high:
                ctx.error(node.line, key, f"{value} does not fit a {self.rust} "
                          f"({low}..{high}); the tool refuses it (\"bad {self.rust}\")",
                          rule="out-of-range")
                return INVALID
        if self.min is not None and value < self.min:
            ctx.error(node.line, key, f"must be at least {self.min}, got {value}",
                      rule="out-of-range")
            return INVALID
        if self.max is not None and value > self.max:
            ctx.error(node.line, key, f"must be at most {self.max}, got {value}",
                      rule="out-of-range")
            return INVALID
        return value


def _plain_int(text: str) -> int:
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise ValueError(text)
    return int(text)


class Bool(Schema):
    """``true`` or ``false``, nothing else."""

    def __init__(self, *, default: bool | None = None, optional: bool = False) -> None:
        self.default = default
        self.has_default = default is not None
        self.optional = optional

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind == "scalar" and node.tag is None and node.value in ("true", "false"):
            return node.value == "true"
        ctx.error(node.line, key, f"must be true or false, not {_describe(node)}",
                  rule="wrong-type")
        return INVALID


class Seq(Schema):
    """A list of ``item``; absent is the empty list, and so is null where the field is
    ``optional`` (a Rust ``Option``; as a structure member null is refused otherwise)."""

    def __init__(self, item: Schema, *, min_length: int = 0, optional: bool = False) -> None:
        self.item = item
        self.min_length = min_length
        self.optional = optional
        self.has_default = min_length == 0
        self.default = None

    def missing(self) -> Any:
        return _items([], [], 0) if self.has_default else INVALID

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null" and node.tag is None:
            result = _items([], [], node.line)
        elif node.kind != "seq" or node.tag is not None:
            ctx.error(node.line, key, f"must be a list, not {_describe(node)}", rule="wrong-type")
            return INVALID
        else:
            values, lines, indexes = [], [], []
            for index, item in enumerate(node.value):
                value = self.item.check(item, ctx, f"{key}[{index}]")
                if value is not INVALID:
                    values.append(value)
                    lines.append(item.line)
                    indexes.append(index)
            result = _items(values, lines, node.line, indexes)
            result.complete = len(values) == len(node.value)
        if len(result) < self.min_length:
            ctx.error(node.line, key, f"needs at least {self.min_length} item(s)",
                      rule="too-few-items")
        return result


def _items(values: list[Any], lines: list[int], line: int,
           indexes: list[int] | None = None) -> Items:
    result = Items(values)
    result.lines = lines
    result.line = line
    result.indexes = list(range(len(values))) if indexes is None else indexes
    return result


def _record(line: int, tag: str | None = None) -> Record:
    result = Record()
    result.lines = {}
    result.line = line
    result.tag = tag
    result.invalid = set()
    return result


class Mapping(Schema):
    """A mapping with free keys (quire ``Mapping``); null or absent is empty."""

    def __init__(self, value: Schema, *, key: Callable[[str], str | None] | None = None) -> None:
        self.value = value
        self.key_check = key
        self.has_default = True

    def missing(self) -> Any:
        return _record(0)

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null" and node.tag is None:
            return _record(node.line)
        if node.kind != "map" or node.tag is not None:
            ctx.error(node.line, key, f"must be a mapping, not {_describe(node)}",
                      rule="wrong-type")
            return INVALID
        result = _record(node.line)
        for name, child in node.value:
            child_key = join_key(key, name)
            if self.key_check is not None:
                message = self.key_check(name)
                if message:
                    ctx.error(node.key_lines.get(name, child.line), child_key, message,
                              rule="bad-value")
                    continue
            value = self.value.check(child, ctx, child_key)
            if value is not INVALID:
                result[name] = value
                result.lines[name] = node.key_lines.get(name, child.line)
            else:
                result.invalid.add(name)
        return result


class Struct(Schema):
    """A structure with known keys (quire ``Structure``).

    ``members`` maps dashed names to schemas; a key may be written with
    dashes or underscores. Keys starting with ``_`` are ignored; other
    unknown keys are errors. The result is a :class:`~tools.quire.nodes.Record` with dashed keys.
    """

    def __init__(self, members: dict[str, Schema], *, optional: bool = False,
                 from_scalar: Callable[[Node], Node] | None = None) -> None:
        self.members = members
        self.optional = optional
        self.has_default = False
        self.from_scalar = from_scalar

    def missing(self) -> Any:
        if self.optional:
            return None
        return self._defaults(0, None, None, TOP)

    def _defaults(self, line: int, ctx: Checker | None, node: Node | None, key: str) -> Any:
        result = _record(line)
        ok = True
        for name, schema in self.members.items():
            value = schema.missing()
            if value is INVALID:
                ok = False
                if ctx is not None:
                    ctx.error(line, join_key(key, name), "is required", rule="required-key")
            else:
                result[name] = value
        return result if ok else INVALID

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "scalar" and self.from_scalar is not None:
            node = self.from_scalar(node)
        if node.kind == "null":
            if self.optional and node.tag is None:
                return None
            return self._defaults(node.line, ctx, node, key)
        if node.kind != "map":
            ctx.error(node.line, key, f"must be a mapping, not {_describe(node)}",
                      rule="wrong-type")
            return INVALID
        given = dict(node.value)
        result = _record(node.line, node.tag)
        ok = True
        used: set[str] = set()
        for name, schema in self.members.items():
            under = name.replace("-", "_")
            spelled = under if under in given else name if name in given else None
            if spelled is None:
                value = schema.missing()
                if value is INVALID:
                    ctx.error(node.owner_line or node.line, join_key(key, name), "is required",
                              rule="required-key")
                    ok = False
                else:
                    result[name] = value
                continue
            used.add(spelled)
            child = given[spelled]
            if _null_refused(child, schema):
                ctx.error(child.line, join_key(key, spelled), "must not be null: quire "
                          "reads an empty value or ~ as null, not as the default (leave the "
                          "key out to get the default)", rule="wrong-type")
                value = INVALID
            else:
                value = schema.check(child, ctx, join_key(key, spelled))
            if value is INVALID:
                # reported already; go on with the default so later checks still run
                fallback = schema.missing()
                if fallback is INVALID:
                    ok = False
                else:
                    result[name] = fallback
                    result.invalid.add(name)
                continue
            result[name] = value
            result.lines[name] = node.key_lines.get(spelled, child.line)
            if isinstance(value, Items) and not value.complete:
                result.invalid.add(name)
        for name, child in node.value:
            if name in used or str(name).startswith("_"):
                continue
            ctx.error(node.key_lines.get(name, child.line), join_key(key, name),
                      "unknown key" + _did_you_mean(name, self.members), rule="unknown-key")
        return result if ok else INVALID


def _null_refused(child: Node, schema: Schema) -> bool:
    """Whether an explicit null given to a structure member is refused: quire 0.4 (in
    lithos 0.18.4) decodes it as a value, so only a member that may be absent (an
    ``Option``) takes it, and a list or mapping written with no value at all (``key:``)
    is empty; checked against lithos_check --check-container."""
    if child.kind != "null" or child.tag is not None or schema.optional or \
            isinstance(schema, Anything | Enum):
        return False
    # an empty value (``key:`` and nothing) is an empty list or mapping to quire
    return not (child.value == "" and isinstance(schema, Seq | Mapping))


def _did_you_mean(name: str, members: dict[str, Schema]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name).replace("_", "-"), list(members), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _tag_hint(name: str, options: dict[str, Schema | None]) -> str:
    """``(did you mean !X?)`` for a close tag among *options*, else the list of them."""
    import difflib

    lowered = {option.lower(): option for option in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=2, cutoff=0.6)
    if close:
        return f" (did you mean {' or '.join('!' + lowered[c] for c in close)}?)"
    names = ["!" + option for option in options]
    if len(names) > 12:
        return f"; expected one of {', '.join(names[:12])} or {len(names) - 12} more"
    return "; expected one of " + ", ".join(names)


class Enum(Schema):
    """A tagged choice (quire ``Enum``): ``!Variant value``.

    ``options`` maps the tag name (without ``!``) to the schema of its value,
    or ``None`` for a variant without a value. With ``allow_plain`` an
    untagged scalar naming a value-less variant is also accepted.
    """

    def __init__(self, options: dict[str, Schema | None], *, allow_plain: bool = False,
                 optional: bool = False, default: str | None = None) -> None:
        self.options = options
        self.allow_plain = allow_plain
        self.optional = optional
        self.default = TagValue(default, None, 0) if default else None
        self.has_default = default is not None

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        names = ", ".join("!" + n for n in self.options)
        if node.tag is None:
            if node.kind == "null":
                if self.has_default:
                    return self.default
                return self.null(node, ctx, key)
            if (self.allow_plain and node.kind == "scalar"
                    and self.options.get(node.value, 0) is None):
                return TagValue(node.value, None, node.line)
            ctx.error(node.line, key, f"needs a tag, one of {names}", rule="unknown-tag")
            return INVALID
        name = node.tag[1:]
        if name not in self.options:
            ctx.error(node.line, key, f"unknown tag {node.tag}" + _tag_hint(name, self.options),
                      column=node.column, rule="unknown-tag")
            return INVALID
        schema = self.options[name]
        if schema is None:
            if node.kind != "null":
                ctx.error(node.line, key, f"{node.tag} takes no value", rule="wrong-type")
                return INVALID
            return TagValue(name, None, node.line)
        bare = Node(node.kind, None, node.value, node.line, node.quoted, node.key_lines)
        value = schema.check(bare, ctx, key)
        if value is INVALID:
            return INVALID
        return TagValue(name, value, node.line)


def check(node: Node | None, schema: Schema, filename: str,
          key: str = TOP) -> tuple[Any, list[Problem]]:
    """Check ``node`` against ``schema``; return ``(value or INVALID, problems)``.

    An empty document (``node`` is None) is checked as an implicit null.
    """
    ctx = Checker(filename)
    if node is None:
        node = Node("null", None, None, 1)
    value = schema.check(node, ctx, key)
    return value, ctx.problems


def read_checked(text_or_path: str | Path, filename: str | None, schema: Schema, *,
                 include_dir: Path | None = None, empty_twice: bool = False
                 ) -> tuple[Any, str, list[Problem]]:
    """Read (:func:`~tools.quire.loading.read_source`), :func:`~tools.quire.loading.load`
    and :func:`check` one file against *schema*.

    *empty_twice* lets a key with no value at all be written twice, as the quire of
    vagga 0.8.1 does (lithos 0.18.4's refuses it).

    Returns ``(value, filename, problems)``; *value* is :data:`INVALID` when
    the file cannot be read, does not parse, or does not fit the schema.
    """
    text, name, problems = read_source(text_or_path, filename)
    if text is None:
        return INVALID, name, problems
    node, problems = load(text, name, include_dir=include_dir, empty_twice=empty_twice)
    if any(p.severity == "error" for p in problems):
        return INVALID, name, problems
    value, more = check(node, schema, name)
    return value, name, problems + more


def plain(node: Node | None) -> Any:
    """The node as plain Python data (tags dropped, scalars as strings)."""
    if node is None or node.kind == "null":
        return None
    if node.kind == "scalar":
        return node.value
    if node.kind == "seq":
        return [plain(item) for item in node.value]
    return {str(k): plain(v) for k, v in node.value}
