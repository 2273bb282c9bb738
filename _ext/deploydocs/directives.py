"""The Sphinx directives: text on the page → :class:`~deploydocs.blocks.Block` + a placeholder.

One directive per kind of :mod:`deploydocs.kinds`, made from its spec, plus
``lab-report``. Directives only parse and remember; they never run anything.
Each one leaves a :class:`lab_block` node that :mod:`deploydocs.render` fills
in after the run phase, and appends its block to the environment (per
document, in source order) so the build phase can plan and run every block
at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from deploydocs.blocks import Block
from deploydocs.kinds import KINDS, KindSpec, option_names
from deploydocs.parse import BlockSyntaxError, parse_block

logger = logging.getLogger(__name__)


class lab_block(nodes.General, nodes.Element):
    """Placeholder for one block; replaced when the doctree is resolved.

    ``node["index"]`` is the block's place among its document's blocks until the
    document is read; then ``node["block_id"]`` is its id.
    """


class lab_report(nodes.General, nodes.Element):
    """Placeholder for the verification report table."""


def blocks_of(env: Any) -> dict[str, list[Block]]:
    """The environment's blocks: docname → blocks in source order."""
    if not hasattr(env, "deploydocs_blocks"):
        env.deploydocs_blocks = {}
    found: dict[str, list[Block]] = env.deploydocs_blocks
    return found


def report_docs(env: Any) -> set[str]:
    """Documents holding a ``lab-report`` directive."""
    if not hasattr(env, "deploydocs_report_docs"):
        env.deploydocs_report_docs = set()
    found: set[str] = env.deploydocs_report_docs
    return found


def unterminated_fence(path: str, lineno: int) -> bool:
    """Whether the MyST fence opened at *lineno* of *path* is never closed.

    MyST then takes the rest of the page as the block's content, silently.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    if not 0 < lineno <= len(lines):
        return False
    opening = re.match(r"(`{3,}|:{3,})", lines[lineno - 1].lstrip())
    if not opening:
        return False
    fence = opening.group(1)
    closing = re.compile(re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    return not any(closing.match(line.lstrip()) for line in lines[lineno:])


class LabDirective(SphinxDirective):
    """Common base: parse into a :class:`Block`, remember it, leave a placeholder.

    One subclass per kind is made by :func:`directive_for`.
    """

    kind: ClassVar[str]
    has_content = True
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = dict.fromkeys(option_names(), directives.unchanged)

    def _content_lines(self) -> tuple[int, ...]:
        """1-based source line of each content line (reST and MyST number them differently)."""
        items = self.content.items
        if not items:
            return ()
        offsets = [offset for _, offset in items]
        candidates = [
            [o + 1 for o in offsets],  # reST: absolute, 0-based
            [self.lineno + self.content_offset + 1 - offsets[0] + o for o in offsets],  # MyST
        ]
        try:
            text = Path(items[0][0]).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return ()
        for lines in candidates:
            if all(0 < n <= len(text) and text[n - 1].strip() == line.strip()
                   for n, line in zip(lines, self.content, strict=True)):
                return tuple(lines)
        return ()

    def run(self) -> list[nodes.Node]:
        source, lineno = self.get_source_info()
        try:
            block = parse_block(
                self.kind, docname=self.env.docname, source=str(source), lineno=lineno or 0,
                argument=self.arguments[0] if self.arguments else "",
                raw_options=self.options, content=list(self.content),
                content_lines=self._content_lines() or [0] * len(self.content),
            )
        except BlockSyntaxError as error:
            where = error.lineno or self.lineno
            key = f" [{error.key}]" if error.key else ""
            logger.warning(f"{self.kind}{key}: {error}", location=(self.env.docname, where),
                           type="deploydocs", subtype="syntax")
            return []
        if str(source).endswith(".md") and unterminated_fence(str(source), lineno or 0):
            logger.warning(f"{self.kind}: unterminated fence: no closing fence after "
                           "this line, so the block runs to the end of the page",
                           location=(self.env.docname, lineno), type="deploydocs",
                           subtype="syntax")
        blocks_of(self.env).setdefault(self.env.docname, []).append(block)
        node = lab_block()
        node["index"] = len(blocks_of(self.env)[self.env.docname]) - 1
        self.set_source_info(node)
        return [node]


def directive_for(spec: KindSpec) -> type[LabDirective]:
    """The directive class of one kind."""
    name = "".join(part.title() for part in spec.name.split("-"))
    return type(name, (LabDirective,), {"kind": spec.name, "has_content": spec.has_content,
                                        "__doc__": spec.summary})


class LabReport(SphinxDirective):
    """``.. lab-report::``: a table of every block and its verification status."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        report_docs(self.env).add(self.env.docname)
        node = lab_report()
        self.set_source_info(node)
        return [node]


DIRECTIVES: dict[str, type[SphinxDirective]] = {
    **{name: directive_for(spec) for name, spec in KINDS.items()},
    "lab-report": LabReport,
}
