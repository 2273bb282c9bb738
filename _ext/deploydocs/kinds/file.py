"""``lab-file``: a file the reader writes, and the lab's hosts get, with owner and mode.

The argument is the path; ``:hosts:`` says where (default: every node).
``${NAME}`` in the content is replaced by captured values. ``:validate: KIND``
checks the file with the configured validator first (``deploydocs_validator``)
and, when it is invalid, writes nothing and points at the first bad line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from docutils import nodes

from deploydocs import options as opt
from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.context import Context
from deploydocs.display import View, badge, host_label
from deploydocs.kinds.base import PathKind, plan_details
from deploydocs.outcome import Outcome
from deploydocs.parallel import each_host, parallel_hosts
from deploydocs.steps import Step
from deploydocs.syntax import BlockSyntaxError


@dataclass(frozen=True)
class FileOptions(opt.CommonOptions):
    """The options of a ``lab-file`` block."""

    owner: str = "root:root"
    mode: int = 0o644
    validate: str = ""
    language: str = ""


def octal(key: str, value: str) -> int:
    """A file mode written in octal.

    >>> oct(octal("mode", "0640"))
    '0o640'
    """
    try:
        return int(value, 8)
    except ValueError:
        raise BlockSyntaxError(f"mode must be octal like 0644, not {value!r}", key=key) from None


def file_content(lines: Sequence[str], captures: Mapping[str, str]) -> bytes:
    """A lab-file's bytes: its lines with captured ``${NAME}`` values substituted.

    >>> file_content(["image: ${IMAGE}"], {"IMAGE": "hello.1"})
    b'image: hello.1\\n'
    """
    text, _ = substitute("\n".join(lines), captures)
    return (text + "\n").encode()


class FileKind(PathKind):
    """``.. lab-file:: PATH``: a file the reader writes and the hosts get."""

    name = "lab-file"
    summary = "``.. lab-file:: PATH``: a file the reader writes and the hosts get."
    options = (opt.HOSTS, opt.Option("owner", "owner", opt.text),
               opt.Option("mode", "mode", octal), opt.Option("validate", "validate", opt.text),
               opt.LANGUAGE, opt.REQUIRES, opt.HIDE, opt.STAND_IN, opt.INSTEAD_OF)
    options_type = FileOptions
    parallel = True

    def describe(self, step: Step) -> list[str]:
        """Where the file goes, its size, owner and mode."""
        block = step.block
        count = len(block.content)
        return plan_details([f"write {block.argument} ({count} line{'s' * (count != 1)}, "
                             f"{block.options.owner} {block.options.mode:04o})"])

    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Validate (when asked), then write the file on every host, the hosts at once."""
        block = step.block
        opts: FileOptions = block.options
        data = file_content(block.content, ctx.captures)
        if opts.validate:
            problem = ctx.config.validate(opts.validate, block.argument, data)
            first = re.match(rf"{re.escape(block.argument)}:(\d+):", problem)
            if first and 0 < int(first.group(1)) <= len(block.content_lines):
                # Point the warning at the page line of the first problem.
                ctx.line = block.content_lines[int(first.group(1)) - 1]
            if problem:
                return Outcome(False, f"validation ({opts.validate}) failed:\n{problem}",
                               host=step.hosts[0], line=ctx.line)

        def write(host: str) -> None:
            ctx.lab.hosts[host].put_file(block.argument, data, owner=opts.owner,
                                         mode=opts.mode)
            ctx.transcripts.note(host, "files", f"# wrote {block.argument} ({len(data)} bytes, "
                                                f"{opts.owner}, {opts.mode:04o})")

        if parallel_hosts(step.hosts, ctx.config.serial):
            ctx.transcripts.start(step.hosts, "files")
        each_host(step.hosts, write, serial=ctx.config.serial)
        for host in step.hosts:
            ctx.outputs[host] = []
        return Outcome(outputs=ctx.outputs, host=step.hosts[0])

    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """Machine label, the path with owner and mode, the content, the badge."""
        opts: FileOptions = block.options
        rights = f" ({opts.owner}, {opts.mode:04o})"
        literal = nodes.literal_block("\n".join(block.content), "\n".join(block.content))
        literal["language"] = opts.language or "text"
        return [host_label(block, view.record, lab_nodes),
                nodes.paragraph(block.argument + rights, "",
                                nodes.literal(block.argument, block.argument),
                                nodes.Text(rights), classes=["deploydocs-file"]),
                literal, badge(view)]


SPEC = FileKind()
