"""``lab-run``: commands the reader types, each with the output they should see.

Body syntax: a line starting with ``$ `` is a command (a line ending in `` \\``
continues it), and the lines after it, up to the next ``$ ``, are its
expected output, compared with :func:`deploydocs.compare.compare_output`.
The block runs in the named ``:session:`` of each of its hosts (one shell
kept for the whole build), so ``cd`` and ``export`` carry on to the next
block of the session. ``:wait-until: N`` retries the whole block until it
passes or N seconds have gone by; ``:capture: NAME=regex`` keeps a value of
the first host's output for ``${NAME}`` in later blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from docutils import nodes

from deploydocs import options as opt
from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.compare import compare_output, split_lines
from deploydocs.context import Context
from deploydocs.display import View, badge, console, host_label
from deploydocs.edits import AcceptError, Edit
from deploydocs.kinds.base import KindSpec, at_least_one, plan_details
from deploydocs.outcome import Outcome
from deploydocs.parallel import each_host, parallel_hosts
from deploydocs.records import Status
from deploydocs.retry import until_passes
from deploydocs.steps import Step
from deploydocs.syntax import BlockSyntaxError, parse_hosts

PROMPT = "$ "
CONTINUATION = " \\"
CAPTURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""C0 controls (but tab) and DEL: never meant for a shell, often a binary blob pasted in."""


@dataclass(frozen=True)
class Command:
    """One ``$ command`` of a ``lab-run`` block and the output written below it.

    :param text: the command as the reader types it (continuations joined with newlines).
    :param expected: the expected output lines, exactly as written.
    :param lineno: 1-based line in the source file of the ``$`` line.
    :param output_lines: 1-based source lines holding the expected output (for rewriting).
    """

    text: str
    expected: tuple[str, ...] = ()
    lineno: int = 0
    output_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class RunOptions(opt.CommonOptions):
    """The options of a ``lab-run`` block."""

    timeout: float = 60.0
    exit: int | None = 0
    """Expected exit status of the last command; ``None`` means any."""
    wait_until: float | None = None
    captures: tuple[tuple[str, str], ...] = ()
    """(NAME, regex with one group) pairs."""
    normalize: tuple[str, ...] = ()
    unordered: bool = False


def exit_status(key: str, value: str) -> int | None:
    """``any`` or a number.

    >>> exit_status("exit", "any") is None, exit_status("exit", "2")
    (True, 2)
    """
    if value == "any":
        return None
    if value.isdigit():
        return int(value)
    raise BlockSyntaxError(f"exit must be a number or 'any', not {value!r}", key=key)


def captures(key: str, value: str) -> tuple[tuple[str, str], ...]:
    """``NAME=regex`` lines, each regex with exactly one group.

    >>> captures("capture", "LEADER=leader: (\\\\S+)")
    (('LEADER', 'leader: (\\\\S+)'),)
    """
    found = []
    for line in value.splitlines():
        if not line.strip():
            continue
        name, sep, pattern = line.strip().partition("=")
        if not sep or not CAPTURE_NAME.match(name):
            raise BlockSyntaxError(f"capture must be NAME=regex, not {line!r}", key="capture")
        try:
            groups = re.compile(pattern).groups
        except re.error as error:
            raise BlockSyntaxError(f"capture {name}: bad regex: {error}", key="capture") from None
        if groups != 1:
            raise BlockSyntaxError(f"capture {name}: the regex needs exactly one group",
                                   key="capture")
        found.append((name, pattern))
    return tuple(found)


def parse_commands(lines: Sequence[str], line_numbers: Sequence[int]) -> tuple[Command, ...]:
    """Split ``lab-run`` body lines into commands and their expected output.

    >>> cmds = parse_commands(["$ echo a \\\\", "  b", "a b", "$ true"], [10, 11, 12, 13])
    >>> [(c.text, c.expected, c.lineno) for c in cmds]
    [('echo a \\\\\\n  b', ('a b',), 10), ('true', (), 13)]
    """
    commands: list[Command] = []
    text: list[str] = []
    expected: list[str] = []
    out_lines: list[int] = []
    start = 0
    continuing = False

    def flush() -> None:
        if text:
            while expected and not expected[-1].strip():
                expected.pop()
                out_lines.pop()
            commands.append(Command("\n".join(text), tuple(expected), start, tuple(out_lines)))

    for line, number in zip(lines, line_numbers, strict=True):
        bad = _CONTROL_CHARACTER.search(line)
        if bad:
            raise BlockSyntaxError(
                f"control character {bad.group()!r} in the block: refused, nothing is sent "
                "to a host", key="content", lineno=number)
        if continuing:
            text.append(line)
            continuing = line.endswith(CONTINUATION)
            continue
        if line.startswith(PROMPT) or line == "$":
            flush()
            text, expected, out_lines = [line[len(PROMPT):]], [], []
            start = number
            continuing = line.endswith(CONTINUATION)
        elif not text:
            if line.strip():
                raise BlockSyntaxError(
                    f"expected a command starting with '$ ', found {line!r}",
                    key="content", lineno=number)
        else:
            expected.append(line)
            out_lines.append(number)
    if continuing:
        raise BlockSyntaxError("the last command ends with a continuation ' \\'",
                               key="content", lineno=start)
    flush()
    return tuple(commands)


def wrap(command: str) -> str:
    """Merge stderr into stdout, in order, as a terminal shows it (runs in the session's shell)."""
    return "{ " + command + "\n} 2>&1"


def run_text(block: Block, outputs: Sequence[str] | None) -> str:
    """The console text shown for a ``lab-run`` block: its commands and, under each, the
    observed output when given, else the output as written."""
    lines: list[str] = []
    for index, command in enumerate(block.body):
        lines.append(f"$ {command.text}")
        if outputs is not None and index < len(outputs):
            shown = outputs[index].rstrip("\n")
            if shown:
                lines.extend(shown.split("\n"))
        else:
            lines.extend(command.expected)
    return "\n".join(lines)


class RunKind(KindSpec):
    """``.. lab-run:: HOSTS``: commands with their expected output."""

    name = "lab-run"
    summary = "``.. lab-run:: HOSTS``: commands with their expected output."
    options = (opt.SESSION, opt.TIMEOUT, opt.Option("exit", "exit", exit_status),
               opt.WAIT_UNTIL, opt.Option("capture", "captures", captures), opt.REQUIRES,
               opt.HIDE, opt.Option("normalize", "normalize", opt.words),
               opt.Option("unordered", "unordered", opt.flag), opt.STAND_IN, opt.INSTEAD_OF,
               opt.NEEDS_INTERNET)
    options_type = RunOptions
    keeps_session_state = True
    shows_session = True
    parallel = True

    def check_options(self, options: RunOptions) -> None:
        """Every normalizer named must exist."""
        from deploydocs.normalize import NORMALIZERS

        unknown = [n for n in options.normalize if n not in NORMALIZERS]
        if unknown:
            raise BlockSyntaxError(
                f"unknown normalizer {', '.join(unknown)} (known: {', '.join(NORMALIZERS)})",
                key="normalize")

    def parse_body(self, argument: str, raw_options: Mapping[str, str | None],
                   content: Sequence[str], content_lines: Sequence[int]
                   ) -> tuple[tuple[str, ...], tuple[Command, ...]]:
        """Hosts from the argument; the body's commands (at least one)."""
        hosts = parse_hosts(argument)
        commands = parse_commands(content, content_lines)
        return hosts, at_least_one(self.name, "'$ command'", commands)

    def describe(self, step: Step) -> list[str]:
        """One line per command."""
        return plan_details(f"$ {c.text}" for c in step.block.body)

    # -- running -----------------------------------------------------------------
    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Run the commands on every host at once (again until the deadline, with
        ``:wait-until:``, each attempt on all the hosts at once), then take the captures
        from the first host's output."""
        opts: RunOptions = step.block.options
        differences: dict[int, str] = {}

        def attempt() -> Outcome:
            tried = self._attempt(step, ctx, differences)
            ctx.outputs = dict(tried.outputs)
            return tried

        outcome = until_passes(attempt, opts.wait_until)
        if not outcome.ok:
            return outcome
        captured: dict[str, str] = {}
        combined = "\n".join(outcome.outputs.get(step.hosts[0], []))
        for name, pattern in opts.captures:
            match = re.search(pattern, combined, re.M)
            if not match:
                # The block as a whole failed: every host's session stops.
                return replace(outcome, ok=False, captures=captured, message=(
                    f"capture {name}: /{pattern}/ matched nothing in the output"))
            captured[name] = match.group(1)
        return replace(outcome, captures=captured)

    def _attempt(self, step: Step, ctx: Context, differences: dict[int, str]) -> Outcome:
        """One pass over the hosts, each stopping at its first command that goes wrong.

        The hosts run at once, one worker each (:func:`~deploydocs.parallel.each_host`);
        serially, the pass stops at the first host that goes wrong. The outcome is the
        first failure in host order; the other hosts it went wrong on are named in its
        :attr:`~deploydocs.outcome.Outcome.also_failed`. Outputs that differ on the first
        host go to *differences* in accept mode.
        """
        outputs: dict[str, list[str]] = {}
        if parallel_hosts(step.hosts, ctx.config.serial):
            ctx.transcripts.start(step.hosts, step.block.session)

        def on(host: str) -> Outcome | None:
            return self._on_host(step, ctx, host, outputs, differences)

        failures = each_host(step.hosts, on, serial=ctx.config.serial,
                             stops=lambda failure: failure is not None)
        ordered = {host: outputs[host] for host in step.hosts if host in outputs}
        failed = [failure for failure in failures if failure is not None]
        if failed:
            first = failed[0]
            return replace(first, outputs=ordered,
                           also_failed=tuple(f.host for f in failed[1:]))
        return Outcome(outputs=ordered, line=ctx.line, differences=differences)

    def _on_host(self, step: Step, ctx: Context, host: str, outputs: dict[str, list[str]],
                 differences: dict[int, str]) -> Outcome | None:
        """The block's commands on one host, in its session; the failure, or ``None``.

        Only this host's entry of *outputs* is written (so workers never share one).
        """
        block = step.block
        opts: RunOptions = block.options
        session = ctx.session(host, block.session)
        outputs[host] = []
        for index, command in enumerate(block.body):
            text, _ = substitute(command.text, ctx.captures)
            result = session.run(wrap(text), timeout=opts.timeout)
            observed = ctx.masker.mask(result.stdout)
            outputs[host].append(observed)
            ctx.transcripts.command(host, block.session, text, result, observed)
            last = index == len(block.body) - 1
            where = f"{block.source}:{command.lineno}"
            ctx.line = command.lineno

            def failed(message: str, line: int = command.lineno) -> Outcome:
                return Outcome(False, message, host=host, line=line, differences=differences)

            if result.timed_out:
                return failed(f"timed out after {opts.timeout:g}s on "
                              f"{host}[{block.session}]: $ {text}")
            comparison = compare_output(
                command.expected, observed, normalizers=opts.normalize,
                unordered=opts.unordered, label_expected=f"expected ({where})",
                label_observed=f"observed on {host}[{block.session}]")
            want = opts.exit if last else 0
            if want is not None and result.exit_status != want:
                detail = comparison.diff or "output as expected"
                return failed(f"exit status {result.exit_status}, expected {want}: "
                              f"$ {text}\n{detail}")
            if not comparison.matched and ctx.config.accept and host == step.hosts[0]:
                differences[index] = observed
            elif not comparison.matched:
                return failed(f"output differs: $ {text}\n{comparison.diff}")
        return None

    # -- showing -------------------------------------------------------------------
    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """Machine label, the console text (observed output once verified), the values
        captured, the badge."""
        record = view.record
        result: list[nodes.Node] = [host_label(block, record, lab_nodes)]
        outputs = None
        if record is not None and record.status == Status.PASSED and record.outputs:
            first = block.hosts[0] if block.hosts[0] in record.outputs else next(
                iter(record.outputs))
            outputs = record.outputs[first]
        result.append(console(run_text(block, outputs)))
        if record is not None and record.captures:
            text = "captured: " + ", ".join(f"${{{k}}} = {v}" for k, v in
                                              sorted(record.captures.items()))
            result.append(nodes.paragraph(text, text, classes=["deploydocs-captures"]))
        result.append(badge(view, sessions=True))
        return result

    # -- accept mode ---------------------------------------------------------------
    def accept_edits(self, block: Block, observed: Mapping[int, str],
                     source_lines: list[str]) -> list[Edit]:
        """Replace the expected output of the given commands, indented like their ``$``."""
        edits = []
        for index, text in observed.items():
            command = block.body[index]
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

    def accepted(self, block: Block, observed: Mapping[int, str]) -> Block:
        """The block as it reads after rewriting (to compute its new source hash)."""
        content = list(block.content)
        starts = {line: i for i, line in enumerate(block.content_lines)}
        commands = list(block.body)
        edits = []
        for index, text in observed.items():
            command = block.body[index]
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
        return replace(block, content=tuple(content), body=tuple(commands))


SPEC = RunKind()
