"""``python -m tools validate``: Check config files the way the real tools would.

The output formats are made for the places a check runs: ``text`` for a
terminal and editors (``FILE:LINE[:COL]: KEY: message``, as compilers
print), ``json`` for scripts, ``github`` for GitHub Actions annotations,
``sarif`` (2.1.0) for code-scanning dashboards and ``junit`` for CI test
reports.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import click

from .. import __version__
from .. import validate_config as settings_file
from ..errors import BadInput, usage_document
from ..problems import Problem
from ..rules import RULES, VERSIONS_LINE, rule_table
from ..validate import KINDS, STDIN, STDIN_NAME, Checked, UsageError, validate_paths

FORMATS = ("text", "json", "github", "sarif", "junit")
TOOL_NAME = "deploydocs-validate"

EPILOG = f"""\b
Checks follow {VERSIONS_LINE}.
PATH is a file, a directory or - (standard input). A directory is walked
without following symbolic links out of it; hidden entries, paths a .gitignore
or .deploydocs-ignore matches and --exclude patterns are left out; FIFOs,
sockets and symlinked directories are listed as skipped, never opened.
Kinds: {", ".join(KINDS)}.
Without --kind, each file's kind is told from its name, then from its top-level keys:
  */master.yaml, *.master.yaml      lithos-master
  */sandboxes/*.yaml                lithos-sandbox
  */processes/*.yaml                lithos-process (uses ../sandboxes/<name>.yaml if present)
  */config/*.yaml                   lithos-container
  vagga.yaml                        vagga
  a directory with scheduler/ or templates/   verwalter-tree
  a file in a verwalter tree's sandbox/, scheduler/, templates/   its tree
Files found in a directory whose kind can't be told are listed as
"skipped: unknown kind"; a file named on the command line must be told
(or is skipped too, with --skip-unknown).

\b
Output (--format text): one problem a line on stdout,
  FILE:LINE: KEY: message [RULE]  or  FILE:LINE:COLUMN: KEY: message [RULE]
warnings end in "(warning) [RULE]". --list-rules lists every RULE; silence one
on a line with a comment "deploydocs-tools: ignore[RULE]" on that line or
alone on the line above, everywhere with --ignore RULE.

\b
Settings: the first .deploydocs-tools.toml ([validate] table) or pyproject.toml
with [tool.deploydocs-tools.validate], from here up to the repository's top,
or --config FILE. Keys: exclude, ignore (lists), strict, warnings (booleans),
format; options on the command line win. When there is a problem or a skipped file, a summary
line ("3 files checked: 1 error, 2 warnings") and the skipped files go to stderr;
a clean run prints nothing at all. -q prints the problems only.

\b
Exit codes:
  0  every file is valid (warnings allowed, unless --strict)
  1  a file is invalid (or has a warning, with --strict)
  2  bad input: unknown kind, rule or option, a PATH that does not exist, a named
     file whose kind can't be told, a bad settings file (with --format json: a
     JSON error object on stdout; with --format sarif: a SARIF log whose
     invocation failed)
"""


# --------------------------------------------------------------------------- formats


def _counts(results: Sequence[Checked]) -> tuple[int, int, int]:
    problems = [p for r in results for p in r.problems]
    errors = sum(p.severity == "error" for p in problems)
    return errors, len(problems) - errors, sum(r.skipped is not None for r in results)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_line(results: Sequence[Checked]) -> str:
    """``3 files checked: 1 error, 2 warnings`` (trees and skipped files named apart).

    >>> summary_line([Checked("a.yaml", "vagga"), Checked("b", None, skipped="unknown kind")])
    '1 file checked: 0 errors, 0 warnings; 1 skipped'
    """
    checked = [r for r in results if r.skipped is None]
    trees = sum(r.kind == "verwalter-tree" for r in checked)
    files = len(checked) - trees
    what = _plural(files, "file")
    if trees:
        what = f"{what} and {_plural(trees, 'verwalter tree')}" if files else \
            _plural(trees, "verwalter tree")
    errors, warnings, skipped = _counts(results)
    line = f"{what} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return f"{line}; {skipped} skipped" if skipped else line


def text_line(problem: Problem) -> str:
    """One problem as a line of text: ``FILE:LINE: KEY: message [RULE]``.

    >>> text_line(Problem("a.yaml", 2, "b", "unknown key", rule="unknown-key"))
    'a.yaml:2: b: unknown key [unknown-key]'
    """
    return f"{problem} [{problem.rule}]" if problem.rule else str(problem)


def format_text(results: Sequence[Checked]) -> str:
    """The problems, one a line (nothing for a clean run)."""
    return "".join(f"{text_line(p)}\n" for r in results for p in r.problems)


def _problems_json(results: Sequence[Checked]) -> list[dict[str, object]]:
    return [p.as_dict() for r in results for p in r.problems]


def format_json(results: Sequence[Checked], strict: bool) -> str:
    """One JSON object: ``ok``, every file with its kind and status, the problems, counts."""
    errors, warnings, skipped = _counts(results)
    document = {
        "ok": not any(r.status(strict) == "failed" for r in results),
        "strict": strict,
        "files": [{"path": r.path, "kind": r.kind, "status": r.status(strict),
                   **({"reason": r.skipped} if r.skipped else {})} for r in results],
        "problems": _problems_json(results),
        "summary": {"checked": sum(r.skipped is None for r in results), "errors": errors,
                    "warnings": warnings, "skipped": skipped},
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(level: str, message: str, **properties: object) -> str:
    """One GitHub Actions workflow command (``::error file=F,line=L::message``), escaped.

    >>> github_command("error", "bad: 50%", file="a,b.yaml", line=3, col=0)
    '::error file=a%2Cb.yaml,line=3::bad: 50%25'
    """
    given = ",".join(f"{name}={_escape_property(str(value))}"
                     for name, value in properties.items() if value not in (None, "", 0))
    return f"::{level} {given}::{_escape_data(message)}" if given else \
        f"::{level}::{_escape_data(message)}"


def format_github(results: Sequence[Checked], quiet: bool) -> str:
    """A workflow command a problem (``::error`` / ``::warning``), skipped files as
    ``::notice`` unless *quiet*."""
    lines = []
    for result in results:
        if result.skipped is not None and not quiet:
            lines.append(github_command("notice", f"skipped: {result.skipped}",
                                        file=result.path))
        for p in result.problems:
            lines.append(github_command(p.severity, f"{p.key}: {p.message}", file=p.file,
                                        line=max(p.line, 1), col=p.column,
                                        title=p.rule or result.kind or TOOL_NAME))
    return "".join(f"{line}\n" for line in lines)


def _uri(path: str) -> str:
    return "stdin" if path == STDIN_NAME else quote(path)


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:
        return {"id": rule_id}
    described: dict[str, Any] = {
        "id": rule.id, "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"home": rule.home}}
    if rule.differs:
        described["fullDescription"] = {"text": f"{rule.summary}; differs from the real "
                                                f"tool: {rule.differs}"}
    return described


def _sarif_log(run: dict[str, Any]) -> str:
    document = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"driver": {"name": TOOL_NAME, "version": __version__,
                       "informationUri": "https://pypi.org/project/deploydocs-tools/",
                       "rules": rules}}


def format_sarif(results: Sequence[Checked], strict: bool) -> str:
    """A SARIF 2.1.0 log: one run, one rule a rule id found, one result a problem.

    SARIF is written as plain dictionaries: the one Python object model for it
    (``sarif-om``) has not been released since 2019 and brings no serializer, so
    it would add a dependency without removing code; tests check the output
    against the SARIF 2.1.0 JSON schema's required fields instead.
    """
    rule_ids = sorted({p.rule or str(r.kind) for r in results for p in r.problems})
    sarif_results: list[dict[str, Any]] = []
    for result in results:
        for p in result.problems:
            region: dict[str, int] = {"startLine": max(p.line, 1)}
            if p.column:
                region["startColumn"] = p.column
            level = "error" if p.severity == "error" or strict else "warning"
            rule_id = p.rule or str(result.kind)
            sarif_results.append({
                "ruleId": rule_id, "ruleIndex": rule_ids.index(rule_id),
                "level": level, "message": {"text": f"{p.key}: {p.message}"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _uri(p.file)}, "region": region}}],
                "properties": {"kind": result.kind},
            })
    notifications = [{"level": "note", "message": {"text": f"skipped: {r.skipped}"},
                      "locations": [{"physicalLocation": {
                          "artifactLocation": {"uri": _uri(r.path)}}}]}
                     for r in results if r.skipped is not None]
    run: dict[str, Any] = {"tool": _driver([_sarif_rule(rule) for rule in rule_ids]),
                           "results": sarif_results}
    if notifications:
        run["invocations"] = [{"executionSuccessful": True,
                               "toolExecutionNotifications": notifications}]
    return _sarif_log(run)


def sarif_failure(message: str) -> str:
    """A SARIF log for a run that could not check anything (bad input): no results,
    one invocation that failed, saying why; an upload step then shows the reason
    instead of choking on an empty file."""
    run = {"tool": _driver([]), "results": [],
           "invocations": [{"executionSuccessful": False, "exitCode": 2,
                            "toolExecutionNotifications": [
                                {"level": "error", "message": {"text": message}}]}]}
    return _sarif_log(run)


def format_junit(results: Sequence[Checked], strict: bool) -> str:
    """JUnit XML: one test case a file or tree, failed by its errors (and warnings, when
    *strict*), skipped when its kind is unknown; warnings otherwise go to system-out."""
    _, _, skipped_total = _counts(results)
    failures = sum(r.status(strict) == "failed" for r in results)
    suite = ET.Element("testsuite", name=TOOL_NAME, tests=str(len(results)),
                       failures=str(failures), errors="0", skipped=str(skipped_total))
    for result in results:
        case = ET.SubElement(suite, "testcase", name=result.path,
                             classname=result.kind or "unknown")
        if result.skipped is not None:
            ET.SubElement(case, "skipped", message=result.skipped)
            continue
        failing = [p for p in result.problems if p.severity == "error" or strict]
        others = [p for p in result.problems if p not in failing]
        if failing:
            failure = ET.SubElement(case, "failure", type="invalid",
                                    message=f"{_plural(len(failing), 'problem')}: "
                                            f"{failing[0].key}: {failing[0].message}")
            failure.text = "".join(f"{text_line(p)}\n" for p in failing)
        if others:
            ET.SubElement(case, "system-out").text = "".join(f"{text_line(p)}\n"
                                                              for p in others)
    root = ET.Element("testsuites", name=TOOL_NAME, tests=str(len(results)),
                      failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# --------------------------------------------------------------------------- command


def _json_requested(args: Sequence[str]) -> bool:
    for index, arg in enumerate(args):
        if arg in ("--json", "--format=json", "-fjson") or (
                arg in ("--format", "-f") and index + 1 < len(args)
                and args[index + 1] == "json"):
            return True
    return False


def _sarif_requested(args: Sequence[str]) -> bool:
    return any(arg in ("--format=sarif", "-fsarif") or (
        arg in ("--format", "-f") and index + 1 < len(args) and args[index + 1] == "sarif")
        for index, arg in enumerate(args))


def _bad_input(message: str, as_json: bool, as_sarif: bool = False) -> NoReturn:
    """Report a bad request and exit 2: one ``error:`` line on stderr, or (for ``--format
    json`` too, which the main group does not know about) the JSON error object every
    command prints on stdout; for ``--format sarif`` also a SARIF log that says the run
    failed, so a CI upload step has a valid file."""
    error = BadInput(message)
    if as_sarif:
        click.echo(sarif_failure(message), nl=False)
    if not as_json:
        raise error
    click.echo(json.dumps(error.as_document(), indent=2))
    sys.exit(error.exit_code)


class _ValidateCommand(click.Command):
    """A command whose own usage errors honour ``--format json`` as well."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        raw = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if _json_requested(raw):
                click.echo(json.dumps(usage_document(exc), indent=2))
                sys.exit(exc.exit_code)
            if _sarif_requested(raw):
                click.echo(sarif_failure(exc.format_message()), nl=False)
            raise


def _list_rules(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(rule_table(), nl=False)
        ctx.exit(0)


@click.command("validate", cls=_ValidateCommand, epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kind", metavar="KIND", help="What every PATH is (see below); told from "
              "each file's name or content when omitted.")
@click.option("-f", "--format", "output_format", type=click.Choice(FORMATS), default=None,
              help="How to print the problems (default: text, or the settings file's).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print the problems only: no summary line, no skipped files.")
@click.option("-s", "--strict", is_flag=True, default=None,
              help="Warnings fail the check too (exit 1).")
@click.option("--no-warnings", is_flag=True, default=None,
              help="Leave warnings out: neither printed nor counted.")
@click.option("--exclude", "excludes", multiple=True, metavar="PATTERN",
              help="Leave out paths a directory walk finds that match PATTERN (gitignore "
                   "syntax, relative to the directory walked); repeatable.")
@click.option("--ignore", "ignores", multiple=True, metavar="RULE",
              help="Silence RULE everywhere (see --list-rules); repeatable.")
@click.option("--skip-unknown", is_flag=True,
              help="List a named file whose kind can't be told as skipped instead of "
                   "refusing it (for hooks that hand over every changed file).")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="Settings file to use instead of the one found (see below).")
@click.option("--list-rules", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_rules, help="List every rule id, what it checks and where; "
                                         "then exit.")
@click.option("--summary", "force_summary", is_flag=True,
              help="Print the summary line (to stderr) even for a clean run.")
@click.option("--sandbox", type=click.Path(path_type=Path),
              help="lithos sandbox file to cross-check process and container configs with.")
@click.option("--image-dir", type=click.Path(path_type=Path),
              help="Local copy of the sandbox's image-dir: also check images and their "
                   "container configs (process configs).")
@click.option("--machine-id", type=click.Path(path_type=Path),
              help="Also check this machine-id file (verwalter trees).")
@click.option("--no-run-scheduler", is_flag=True,
              help="Don't load main.lua in sandboxed Lua (verwalter trees).")
@click.option("--json", "as_json", is_flag=True,
              help="Print only the problems, as a JSON list (the older form of "
                   "--format json, kept for existing scripts).")
def cli(paths: tuple[Path, ...], kind: str | None, output_format: str | None, quiet: bool,
        strict: bool | None, no_warnings: bool | None, excludes: tuple[str, ...],
        ignores: tuple[str, ...], skip_unknown: bool, config_file: Path | None,
        force_summary: bool,
        sandbox: Path | None, image_dir: Path | None, machine_id: Path | None,
        no_run_scheduler: bool, as_json: bool) -> None:
    """Check config files the way the real tools would.

    Every problem of every PATH is reported, not only the first, each with the id
    of the rule that found it.
    """
    json_errors = as_json or output_format == "json"
    sarif_errors = output_format == "sarif"
    try:
        settings = settings_file.load(config_file) if config_file is not None else \
            settings_file.find(Path.cwd())
    except BadInput as exc:
        _bad_input(exc.message, json_errors, sarif_errors)
    output_format = output_format or settings.format or "text"
    if output_format not in FORMATS:
        _bad_input(f"{settings.source}: format: {output_format!r} is not one of "
                   f"{', '.join(FORMATS)}", json_errors, sarif_errors)
    json_errors = as_json or output_format == "json"
    sarif_errors = output_format == "sarif"
    strict = bool(strict) or bool(settings.strict)
    keep_warnings = not no_warnings and settings.warnings is not False
    if not paths:
        _bad_input("give at least one PATH (see --help)", json_errors, sarif_errors)
    unknown_rules = sorted(set(ignores) - set(RULES))
    if unknown_rules:
        _bad_input(f"--ignore: unknown rule {', '.join(unknown_rules)} (see --list-rules)",
                   json_errors, sarif_errors)
    if kind is not None and kind not in KINDS:
        _bad_input(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", json_errors,
                   sarif_errors)
    if sum(str(p) == STDIN for p in paths) > 1:
        _bad_input("- (standard input) can be given once only", json_errors, sarif_errors)
    stdin_text = None
    if any(str(p) == STDIN for p in paths):
        try:
            stdin_text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            _bad_input(f"-: cannot read standard input: {exc}", json_errors, sarif_errors)
    try:
        results = validate_paths([str(p) for p in paths], kind, sandbox=sandbox,
                                 image_dir=image_dir, machine_id=machine_id,
                                 run_scheduler=not no_run_scheduler, stdin_text=stdin_text,
                                 exclude=(*settings.exclude, *excludes),
                                 ignore=settings.ignore | set(ignores),
                                 skip_unknown=skip_unknown)
    except UsageError as exc:
        _bad_input(str(exc), json_errors, sarif_errors)
    if not keep_warnings:
        for result in results:
            result.problems = [p for p in result.problems if p.severity == "error"]
    _print(results, output_format, as_json=as_json, quiet=quiet, strict=strict,
           force_summary=force_summary)
    failed = any(r.status(strict) == "failed" for r in results)
    sys.exit(1 if failed else 0)


def _print(results: list[Checked], output_format: str, *, as_json: bool, quiet: bool,
           strict: bool, force_summary: bool) -> None:
    if as_json:
        click.echo(json.dumps(_problems_json(results), indent=2))
    elif output_format == "json":
        click.echo(format_json(results, strict), nl=False)
    elif output_format == "github":
        click.echo(format_github(results, quiet), nl=False)
    elif output_format == "sarif":
        click.echo(format_sarif(results, strict), nl=False)
    elif output_format == "junit":
        click.echo(format_junit(results, strict), nl=False)
    else:
        click.echo(format_text(results), nl=False)
        sys.stdout.flush()  # the problems first, then the notes on stderr
        eventful = any(r.problems or r.skipped for r in results)
        if not quiet:
            for result in results:
                if result.skipped is not None:
                    click.echo(f"{result.path}: skipped: {result.skipped}", err=True)
            if eventful or force_summary:
                click.echo(summary_line(results), err=True)
