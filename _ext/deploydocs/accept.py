"""Accept mode: write observed output back into the page, like ``cram -i``.

Only commands whose output did not match are rewritten; their expected
lines are replaced by the raw observed output (what the reader will see),
indented like the ``$`` line. Each file is rewritten atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from deploydocs.blocks import Block, Command
from deploydocs.compare import split_lines
from deploydocs.records import write_atomic


@dataclass(frozen=True)
class Edit:
    """Replace source lines ``first..last`` (1-based, inclusive) by ``lines``.

    ``last == first - 1`` inserts before ``first``.
    """

    first: int
    last: int
    lines: tuple[str, ...]


class AcceptError(ValueError):
    """A block cannot be rewritten (its source lines are unknown)."""


def block_edits(block: Block, observed: Mapping[int, str], source_lines: list[str]) -> list[Edit]:
    """Edits that replace the expected output of the given commands of *block*."""
    edits = []
    for index, text in observed.items():
        command = block.commands[index]
        if not command.lineno:
            raise AcceptError(f"{block.location}: source lines unknown, cannot rewrite")
        prompt = source_lines[command.lineno - 1]
        indent = prompt[: len(prompt) - len(prompt.lstrip())]
        new = tuple(indent + line if line else "" for line in split_lines(text))
        if command.output_lines:
            edits.append(Edit(command.output_lines[0], command.output_lines[-1], new))
        else:
            after = command.lineno + command.text.count("\n") + 1
            edits.append(Edit(after, after - 1, new))
    return edits


def apply_edits(lines: list[str], edits: Iterable[Edit]) -> list[str]:
    """Apply edits bottom-up so earlier line numbers stay valid.

    >>> apply_edits(["a", "b", "c"], [Edit(2, 2, ("x", "y")), Edit(4, 3, ("z",))])
    ['a', 'x', 'y', 'c', 'z']
    """
    result = list(lines)
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        result[edit.first - 1: edit.last] = list(edit.lines)
    return result


def accepted_block(block: Block, observed: Mapping[int, str]) -> Block:
    """The block as it reads after rewriting (to compute its new source hash)."""
    content = list(block.content)
    starts = {line: i for i, line in enumerate(block.content_lines)}
    commands = list(block.commands)
    edits = []
    for index, text in observed.items():
        command = block.commands[index]
        new_lines = tuple(split_lines(text))
        commands[index] = replace(command, expected=new_lines)
        if command.output_lines:
            first, last = starts[command.output_lines[0]], starts[command.output_lines[-1]]
        else:
            first = starts[command.lineno] + command.text.count("\n") + 1
            last = first - 1
        edits.append((first, last, new_lines))
    for first, last, new_lines in sorted(edits, reverse=True):
        content[first: last + 1] = list(new_lines)
    return replace(block, content=tuple(content), commands=tuple(commands))


def rewrite_sources(changes: Iterable[tuple[Block, Mapping[int, str]]]) -> dict[str, int]:
    """Rewrite every affected file once; return file → number of commands rewritten."""
    by_file: dict[str, list[tuple[Block, Mapping[int, str]]]] = {}
    for block, observed in changes:
        by_file.setdefault(block.source, []).append((block, observed))
    done: dict[str, int] = {}
    for source, items in by_file.items():
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        edits = [e for block, observed in items for e in block_edits(block, observed, lines)]
        write_atomic(path, "\n".join(apply_edits(lines, edits)))
        done[source] = sum(len(observed) for _, observed in items)
    return done


__all__ = ["AcceptError", "Command", "Edit", "accepted_block", "apply_edits", "block_edits",
           "rewrite_sources"]
