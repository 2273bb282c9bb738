"""Check the render preview against the real ``verwalter_render``.

The render preview (:mod:`tools.verwalter.render`) renders a node's templates
with Python engines. To know it renders what verwalter does, this module runs
the real ``verwalter_render`` in ``--dry-run`` mode (nothing is applied, no
command runs) on the same variables, reads the rendered text of every template
from the log it prints, and compares the two, template by template.

``verwalter_render`` 0.13.4 writes each rendered template into its log as::

    +++ template start: "<template file>" -> "<temp file>" +++
    <the rendered text>
    +++ template end: "<template file>" -> "<temp file>" +++

so the text between the two marker lines, less the one newline the log adds
after it, is exactly what verwalter would hand to the commands.

>>> rendered_templates('+++ template start: "a.hbs" -> "/tmp/x" +++\\nhi\\n\\n'
...                    '+++ template end: "a.hbs" -> "/tmp/x" +++\\n')
{'a.hbs': 'hi\\n'}
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .render import (
    VERWALTER_VERSION,
    build_vars,
    parse_render_file,
    render_role,
)

_TEMPLATE = re.compile(
    r'^\+\+\+ template start: "(?P<source>[^"]*)" -> "(?P<dest>[^"]*)" \+\+\+\n'
    r"(?P<text>.*?)\n"
    r'\+\+\+ template end: "(?P=source)" -> "(?P=dest)" \+\+\+$',
    re.S | re.M)


class RenderCheckError(RuntimeError):
    """The real ``verwalter_render`` could not be run or said nothing usable."""


def rendered_templates(log: str) -> dict[str, str]:
    """Template file name (as the render file names it) → rendered text, from a render log."""
    return {match.group("source"): match.group("text") for match in _TEMPLATE.finditer(log)}


def run_real_render(binary: str, tree: Path, variables: Mapping[str, Any],
                    schedule: Mapping[str, Any], timeout: float = 60) -> str:
    """Run ``verwalter_render --dry-run`` on *variables*; return the log it prints.

    The schedule goes in as ``--schedule`` (verwalter_render adds it as
    ``full_schedule`` itself), the rest as the JSON argument.
    """
    argv = [binary, json.dumps(dict(variables), sort_keys=True), "--dry-run",
            "--config-dir", str(tree), "--schedule", json.dumps(dict(schedule))]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderCheckError(f"{binary}: {exc}") from exc
    if done.returncode != 0:
        raise RenderCheckError(f"{binary} exited {done.returncode}: "
                               f"{(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout + done.stderr


@dataclass
class RoleCheck:
    """The comparison of one role's rendered templates."""

    role: str
    same: list[str] = field(default_factory=list)
    """Template files both rendered to the same text."""
    differences: dict[str, str] = field(default_factory=dict)
    """Template file → a unified diff (preview against verwalter_render), or why it is
    missing on one side."""

    @property
    def ok(self) -> bool:
        """Whether every template came out the same."""
        return not self.differences


def check_role(tree: Path, schedule: Mapping[str, Any], node: str, role: str,
               binary: str = "verwalter_render") -> RoleCheck:
    """Render *role* for *node* with the preview and with the real binary; compare."""
    preview = render_role(tree, schedule, node, role)
    if not preview.ok:
        raise RenderCheckError(f"the render preview failed: {preview.failed or preview.problems}")
    ours: dict[str, str] = {}
    for action in preview.actions:
        render_file, _ = parse_render_file(tree / action.render_file)
        names = render_file.templates if render_file is not None else {}
        for name, text in action.outputs.items():
            # The log names a template by its file, as the render file spells it.
            ours[str(names.get(name, name))] = text
    variables = {k: v for k, v in build_vars(schedule, node, role).items()
                 if k != "full_schedule"}
    variables["verwalter_version"] = VERWALTER_VERSION
    theirs = rendered_templates(run_real_render(binary, tree, variables, schedule))
    result = RoleCheck(role)
    for template in sorted(set(ours) | set(theirs)):
        if template not in theirs:
            result.differences[template] = "rendered by the preview only"
        elif template not in ours:
            result.differences[template] = "rendered by verwalter_render only"
        elif ours[template] == theirs[template]:
            result.same.append(template)
        else:
            result.differences[template] = "".join(difflib.unified_diff(
                ours[template].splitlines(keepends=True),
                theirs[template].splitlines(keepends=True),
                "render preview", "verwalter_render"))
    return result
