"""YAML the way quire reads it: the config language shared by lithos, vagga and verwalter.

quire (the Rust library those tools use) reads YAML with a few rules of its
own. This module loads a file with :mod:`ruamel.yaml` (keeping line
numbers) and applies them, then checks the result against a small schema
language that mirrors quire's validators. Every problem comes back as a
:class:`tools.problems.Problem`; nothing raises on bad input.

The rules, as read from quire 0.4 and checked against it:

* a structure key ``foo_bar`` may be written ``foo-bar`` or ``foo_bar``;
* keys of a structure starting with ``_`` are ignored (anchors live there),
  any other unknown key is an error;
* booleans are exactly ``true`` or ``false`` (``yes``, ``on``, ``True`` are
  not booleans; in a string field they are plain strings);
* numeric fields take integers with an optional unit suffix (``k`` 10^3,
  ``M`` 10^6, ``G`` 10^9, ``ki`` 2^10, ``Mi`` 2^20, ``Gi`` 2^30; ``Ki`` is
  *not* a suffix), or a ``0x``/``0o``/``0b`` prefix; no floats. ``_`` is
  skipped after the first digit (``1_000``): the humannum 0.1.0 crate that
  lithos 0.18.4, vagga 0.8.1 and verwalter 0.13.4 are built with does this,
  and the real ``lithos_check`` 0.18.4 accepts it;
* only ``~`` and ``null`` (unquoted) and an empty value are null;
* local tags (``!Tmpfs``, ``!Readonly``) select variants of enums;
* merge keys ``<<:`` and aliases work; an anchor defined twice is
  redefined by the second definition (no error);
* a tag written before a compact mapping (``- !AptTrust keys: [..]``)
  applies to the whole mapping, not to its first key;
* a key written twice in one mapping is an error (keys brought in by a merge
  key ``<<`` never override the mapping's own).

One module a concern: :mod:`~tools.quire.nodes` (the tree and checked values),
:mod:`~tools.quire.loading` (YAML text to a tree, the rules above),
:mod:`~tools.quire.syntax` (syntax errors in plain words),
:mod:`~tools.quire.numbers` (numeric fields), :mod:`~tools.quire.schema` (the
schema language) and :mod:`~tools.quire.writing` (YAML out). Everything is
imported from ``tools.quire`` itself.

Public API (stable, used by other modules):

* :func:`~tools.quire.loading.load` ``(text, filename)``
  gives ``(Node | None, list[Problem])``
* :func:`~tools.quire.numbers.parse_int` ``(text) -> int``
  (raises :class:`ValueError`)
* the schema classes :class:`~tools.quire.schema.Struct`,
  :class:`~tools.quire.schema.Mapping`, :class:`~tools.quire.schema.Seq`,
  :class:`~tools.quire.schema.Str`, :class:`~tools.quire.schema.Int`,
  :class:`~tools.quire.schema.Bool`, :class:`~tools.quire.schema.Enum`,
  :class:`~tools.quire.schema.Anything`, and :func:`~tools.quire.schema.check`
  ``(node, schema, filename)`` giving ``(value, list[Problem])``
* :func:`~tools.quire.schema.read_checked` ``(text_or_path, filename, schema)``
  giving ``(value, filename, problems)``: read, load and check in one go
* :func:`~tools.quire.writing.dump` ``(data) -> str`` writing
  :class:`~tools.quire.nodes.Tagged` values as local tags.

>>> node, problems = load("size: 100Mi\\n_x: &a 1\\n", "f.yaml")
>>> value, problems = check(node, Struct({"size": Int()}), "f.yaml")
>>> value["size"], problems
(104857600, [])
>>> node, _ = load("size: 1.5\\n", "f.yaml")
>>> [str(p) for p in check(node, Struct({"size": Int()}), "f.yaml")[1]]
['f.yaml:1: size: not an integer: "1.5" (floats are not accepted here)']
"""

from .loading import load, read_source
from .nodes import TOP, Items, Node, NodeKind, Record, Tagged, TagValue
from .numbers import UNIT_SUFFIXES, parse_int
from .schema import (
    INVALID,
    Anything,
    Bool,
    Checker,
    Enum,
    Int,
    Mapping,
    Schema,
    Seq,
    Str,
    Struct,
    check,
    plain,
    read_checked,
)
from .syntax import explain_syntax_error, key_path, syntax_problem
from .writing import dump

__all__ = [
    "INVALID", "TOP", "UNIT_SUFFIXES", "Anything", "Bool", "Checker", "Enum", "Int", "Items",
    "Mapping", "Node", "NodeKind", "Record", "Schema", "Seq", "Str", "Struct", "TagValue",
    "Tagged", "check", "dump", "explain_syntax_error", "key_path", "load", "parse_int", "plain",
    "read_checked", "read_source", "syntax_problem",
]
