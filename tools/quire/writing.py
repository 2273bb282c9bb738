"""Writing data as YAML, :class:`~tools.quire.nodes.Tagged` values as local tags."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.tag import Tag

from .nodes import Tagged


def _to_ruamel(data: Any) -> Any:
    if isinstance(data, Tagged):
        inner = data.value
        if inner is None:
            return TaggedScalar("", tag=data.tag)
        if isinstance(inner, dict):
            result = CommentedMap((k, _to_ruamel(v)) for k, v in inner.items())
            result.yaml_set_ctag(Tag(suffix=data.tag))
            if not inner:
                result.fa.set_flow_style()
            return result
        if isinstance(inner, list):
            sequence = CommentedSeq(_to_ruamel(v) for v in inner)
            sequence.yaml_set_ctag(Tag(suffix=data.tag))
            return sequence
        return TaggedScalar(str(inner), tag=data.tag)
    if isinstance(data, dict):
        result = CommentedMap((k, _to_ruamel(v)) for k, v in data.items())
        if not data:
            result.fa.set_flow_style()
        return result
    if isinstance(data, list | tuple):
        sequence = CommentedSeq(_to_ruamel(v) for v in data)
        if not data:
            sequence.fa.set_flow_style()
        return sequence
    return data


def dump(data: Any) -> str:
    """Write ``data`` as YAML text, :class:`~tools.quire.nodes.Tagged` values as local tags.

    >>> print(dump({"volumes": {"/tmp": Tagged("!Tmpfs", {"size": "16Mi"})}}), end="")
    volumes:
      /tmp: !Tmpfs
        size: 16Mi
    """
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(_to_ruamel(data), out)
    return out.getvalue()
