"""Render preview/apply: what ``verwalter_render`` does for one role on one node.

This is a stand-in named **render preview** (templates rendered, commands
shown, nothing run) and **render apply** (the ``*.render.yaml`` commands
run for real, e.g. the real ``lithos_switch`` with the generated process
file). It follows verwalter 0.13.4:

* variables: the schedule's node-role, node, role and global vars merged
  (:func:`tools.verwalter.schedule.role_vars`), plus ``role``, ``node``,
  ``timestamp``, ``deployment_id``, ``verwalter_version`` and ``full_schedule``;
* templates: every ``*.render.yaml`` under ``templates/<template>/`` names its
  templates; **Handlebars** (``.hbs``/``.handlebars``) is rendered with
  :mod:`pybars` (pybars3), a Handlebars implementation close to the Rust
  crate verwalter uses (with its whitespace rules, see ``_handlebars_compiler``);
  **Tera** (``.tera``) is rendered with :mod:`jinja2` as an *approximation*
  (Tera's syntax is Jinja-like; ``for k, v in map`` is mapped to the items,
  undefined variables are errors as in Tera, whitespace around block tags follows
  what Tera 0.10 does (:func:`tera_whitespace`), but filters and tests beyond the
  common ones differ). :mod:`tools.verwalter.render_check` compares both with the
  real ``verwalter_render``. Trimmer templates are not supported;
* command strings expand only ``{{ role }}`` and ``{{ files.<name> }}``;
  anything else becomes ``<< unknown variable: X >>`` as upstream.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..hosts import CommandResult, Host, run_bash
from ..problems import Problem
from .render_file import (
    COMMAND_VAR_RE,
    RenderCommand,
    RenderFile,
    read_render_file,
    unknown_variables,
)
from .render_file import TEMPLATE_ENGINES as PARSED_ENGINES
from .schedule import VERWALTER_VERSION as VERWALTER_VERSION  # re-exported
from .schedule import build_vars

TEMPLATE_ENGINES = {".hbs": "handlebars (pybars3)", ".handlebars": "handlebars (pybars3)",
                    ".tera": "tera, approximated with jinja2"}
_RENDER_FILE = re.compile(r"\.render\.ya?ml$")
_IGNORED = re.compile(r"^\.|~$|\.bak$|^#.*#$")


class RenderError(RuntimeError):
    """A role cannot be rendered (missing template, template error, bad render file)."""


# --- variables ----------------------------------------------------------------


def expand(text: str, variables: Mapping[str, str]) -> str:
    """Expand ``{{ name }}`` in a command string the way verwalter_render does.

    >>> expand("{{ role }} {{files.p}} {{ node }}", {"role": "hello", "files.p": "/tmp/p"})
    'hello /tmp/p << unknown variable: node >>'
    """
    return COMMAND_VAR_RE.sub(lambda m: variables.get(m.group(1),
                                            f"<< unknown variable: {m.group(1)} >>"), text)


# --- render files -------------------------------------------------------------


def parse_render_file(path: Path, rel: str | None = None
                      ) -> tuple[RenderFile | None, list[Problem]]:
    """Read one render file for render preview/apply; every problem names file, line and key.

    The file is checked by :func:`tools.verwalter.render_file.read_render_file`;
    on top of that a template must be one this module renders, and a command
    variable verwalter_render does not expand is a warning.
    """
    render_file, problems = read_render_file(path, rel)
    if render_file is None:
        return None, problems
    for tname, tfile in render_file.templates.items():
        suffix = Path(tfile).suffix
        if suffix in PARSED_ENGINES and suffix not in TEMPLATE_ENGINES:
            problems.append(Problem(render_file.name, render_file.template_lines[tname],
                                    f"templates.{tname}", f"{tfile}: {PARSED_ENGINES[suffix]} "
                                    "templates are not supported by render preview"))
    for command in render_file.all_commands():
        for sub, var in unknown_variables(command, render_file.templates):
            problems.append(Problem(render_file.name, command.line, f"{command.key}{sub}",
                                    f"{{{{ {var} }}}} is not expanded (only role and "
                                    "files.<template>): it stays as '<< unknown variable >>'",
                                    "warning"))
    return render_file, problems


def find_render_files(template_dir: Path) -> list[Path]:
    """Every ``*.render.yaml``/``*.render.yml`` below *template_dir*, in scan order."""
    found = []
    for directory, dirs, files in os.walk(template_dir):
        dirs[:] = sorted(d for d in dirs if not _IGNORED.search(d))
        found += [Path(directory) / f for f in sorted(files)
                  if _RENDER_FILE.search(f) and not _IGNORED.search(f)]
    return found


# --- templates ----------------------------------------------------------------


def _tera_environment() -> Any:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["json_encode"] = lambda v, pretty=False: json.dumps(
        v, indent=2 if pretty else None, sort_keys=True)

    def pairs(value: Any) -> Any:
        return list(value.items()) if isinstance(value, Mapping) else value

    env.filters["_tera_pairs"] = pairs
    env.filters["_tera_rstrip"] = lambda text: str(text).rstrip()
    return env


_TERA_TAG = re.compile(r"\{%-?\s*(for|endfor|if|elif|else|endif)\b(.*?)-?%\}", re.S)


def tera_whitespace(source: str) -> str:
    """Rewrite Tera block tags so jinja2 treats whitespace as Tera 0.10 does.

    Seen on the real ``verwalter_render`` 0.13.4 (Tera 0.10): whitespace right after an
    opening ``{% for %}``, ``{% if %}``, ``{% elif %}`` or ``{% else %}`` is dropped
    (each time the body renders); a branch of an ``if`` loses its trailing whitespace, and
    so does a whole ``for`` loop's output (all iterations together, not each one). The
    same in jinja2: ``-%}`` on the opening tags, ``{%-`` before ``elif``/``else``/``endif``,
    and a filter that strips the end of the loop's output.

    >>> tera_whitespace("{% for i in items %}{{ i }}\\n{% endfor %}")
    '{% filter _tera_rstrip %}{% for i in items -%}{{ i }}\\n{% endfor %}{% endfilter %}'
    """
    def rewrite(match: re.Match[str]) -> str:
        word, rest = match.group(1), match.group(2).rstrip()
        if word == "for":
            return f"{{% filter _tera_rstrip %}}{{% for{rest} -%}}"
        if word == "endfor":
            return "{% endfor %}{% endfilter %}"
        if word == "if":
            return f"{{% if{rest} -%}}"
        if word in ("elif", "else"):
            return f"{{%- {word}{rest} -%}}"
        return "{%- endif %}"

    return _TERA_TAG.sub(rewrite, source)


_TERA_FOR_PAIR = re.compile(r"(\{%-?\s*for\s+\w+\s*,\s*\w+\s+in\s+)([^%]+?)(\s*-?%\})")


_TILDE_MARKS = re.compile(r"~}}\s*|\s*{{~")
_TILDE_CLEANUP = re.compile(r"(?<={{)~|~(?=}})")


def _handlebars_compiler() -> Any:
    """A pybars3 compiler that treats whitespace as verwalter's Handlebars does.

    verwalter 0.13.4 renders ``.hbs`` with the Rust ``handlebars`` crate 0.26, which honours
    ``{{~`` / ``~}}`` but keeps a line that holds only a block tag (``{{/each}}``) with its
    newline. pybars3 drops such "standalone" lines, as handlebars.js does; seen against the
    real ``verwalter_render``, the tutorial's template gains a trailing blank line there and
    not here. So only the ``~`` marks are applied.
    """
    import pybars

    class VerwalterHandlebars(pybars.Compiler):
        def whitespace_control(self, source: str) -> str:
            return _TILDE_MARKS.sub(
                lambda match: _TILDE_CLEANUP.sub("", match.group(0).strip()), source)

    return VerwalterHandlebars()


def render_template(path: Path, variables: Mapping[str, Any]) -> str:
    """Render one template file with the engine its extension names."""
    source = path.read_text()
    try:
        if path.suffix in (".hbs", ".handlebars"):
            return str(_handlebars_compiler().compile(source)(dict(variables)))
        if path.suffix == ".tera":
            source = tera_whitespace(_TERA_FOR_PAIR.sub(r"\1(\2)|_tera_pairs\3", source))
            return _tera_environment().from_string(source).render(**variables)
    except Exception as exc:
        line = getattr(exc, "lineno", None) or 0
        raise RenderError(f"{path}:{line}: template: {type(exc).__name__}: {exc}") from exc
    raise RenderError(f"{path}:1: template: unknown template type {path.suffix!r}")


def check_templates(template_dir: Path) -> list[Problem]:
    """Every template file below *template_dir* must parse (one broken file fails the role)."""
    problems = []
    for path in sorted(template_dir.rglob("*")):
        if path.suffix in (".hbs", ".handlebars"):
            import pybars

            try:
                pybars.Compiler().compile(path.read_text())
            except Exception as exc:
                problems.append(Problem(str(path), 1, "template", f"does not parse: {exc}"))
        elif path.suffix == ".tera":
            import jinja2

            try:
                _tera_environment().parse(_TERA_FOR_PAIR.sub(r"\1(\2)|_tera_pairs\3",
                                                             path.read_text()))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(str(path), exc.lineno, "template", exc.message or ""))
        elif path.suffix in (".trm", ".trimmer"):
            problems.append(Problem(str(path), 1, "template",
                                    "trimmer templates are not supported by render preview"))
    return problems


# --- executing ----------------------------------------------------------------


class Executor(Protocol):
    """Where render apply writes files and runs commands."""

    def write_temp(self, name: str, text: str) -> str:
        """Write a rendered template to a fresh temp file; return its path."""
        ...

    def run(self, argv: list[str]) -> CommandResult:
        """Run *argv* and wait."""
        ...

    def copy(self, src: str, dest: str, mode: int | None) -> None:
        """Copy *src* to *dest* via ``.tmp.<name>`` + rename."""
        ...

    def close(self) -> None:
        """Remove the temp files written for this render."""
        ...


class LocalExecutor:
    """Runs commands on this machine; file destinations optionally under *root*.

    With *root*, ``!Copy``/``!SplitText``/``!CleanFiles`` paths are placed
    under it and commands run with it as working directory; the commands
    themselves are not confined (a ``lithos_switch`` still acts on the real
    ``/etc/lithos``).
    """

    def __init__(self, root: Path | None = None, temp_dir: Path | None = None) -> None:
        self.root = root
        self.temp_dir = Path(tempfile.mkdtemp(prefix="render-", dir=temp_dir))

    def close(self) -> None:
        """Remove the rendered temp files (verwalter_render deletes them too)."""
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def path(self, path: str) -> Path:
        """*path* as seen on this machine (under root when one is given)."""
        return self.root / path.lstrip("/") if self.root else Path(path)

    def write_temp(self, name: str, text: str) -> str:
        """Write *text* to a temp file named after the template."""
        fd, tmp = tempfile.mkstemp(prefix=f"{name}.", dir=self.temp_dir)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return tmp

    def run(self, argv: list[str]) -> CommandResult:
        """Run *argv* (cwd = root if given); a missing program is exit 127, as in a shell."""
        return run_bash(shlex.join(argv), cwd=self.root, timeout=600)

    def copy(self, src: str, dest: str, mode: int | None) -> None:
        """Copy through ``.tmp.<name>`` and rename, as verwalter_render does."""
        target = self.path(dest)
        if not target.name:
            raise RenderError(f"Copy destination must be a file, not a directory: {dest}")
        tmp = target.with_name(f".tmp.{target.name}")
        data = Path(src).read_bytes() if Path(src).is_absolute() else self.path(src).read_bytes()
        tmp.write_bytes(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)


class HostExecutor:
    """Runs render apply on a lab or SSH host (temp files and commands live there)."""

    def __init__(self, host: Host, temp_dir: str = "/tmp") -> None:
        self.host = host
        self.temp_dir = f"{temp_dir.rstrip('/')}/verwalter-render-{secrets.token_hex(4)}"

    def close(self) -> None:
        """Remove the rendered temp files from the host."""
        self.host.run(f"rm -rf -- {shlex.quote(self.temp_dir)}", timeout=60)

    def write_temp(self, name: str, text: str) -> str:
        """Put the rendered text on the host."""
        path = f"{self.temp_dir}/{name}.{secrets.token_hex(4)}"
        self.host.put_file(path, text.encode(), mode=0o644)
        return path

    def run(self, argv: list[str]) -> CommandResult:
        """Run *argv* on the host."""
        return self.host.run(shlex.join(argv), timeout=600)

    def copy(self, src: str, dest: str, mode: int | None) -> None:
        """Copy on the host through ``.tmp.<name>`` and rename."""
        directory, name = os.path.split(dest)
        tmp = shlex.quote(f"{directory}/.tmp.{name}")
        chmod = f" && chmod {mode:o} {tmp}" if mode is not None else ""
        result = self.host.run(f"cp -- {shlex.quote(src)} {tmp}{chmod} && "
                               f"mv -f -- {tmp} {shlex.quote(dest)}", timeout=60)
        if not result.ok:
            raise RenderError(f"Copy to {dest} failed on {self.host.name}: {result.stderr}")


@dataclass
class CommandRecord:
    """One command as run (or, in preview, as it would run)."""

    tag: str
    display: str
    exit_status: int | None = None
    output: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {"tag": self.tag, "command": self.display, "exit_status": self.exit_status,
                "output": self.output}


@dataclass
class ActionRecord:
    """One render file: its rendered templates and its commands."""

    render_file: str
    outputs: dict[str, str]
    commands: list[CommandRecord] = field(default_factory=list)


@dataclass
class RenderResult:
    """The outcome of rendering one role on one node."""

    role: str
    node: str
    template: str
    applied: bool
    variables: dict[str, Any]
    actions: list[ActionRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: str | None = None

    @property
    def ok(self) -> bool:
        """Whether rendering (and applying) went through without errors."""
        return self.failed is None and not any(p.severity == "error" for p in self.problems)

    def output(self, name: str) -> str:
        """The rendered text of the template named *name* (in any render file)."""
        for action in self.actions:
            if name in action.outputs:
                return action.outputs[name]
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (without the full schedule)."""
        return {
            "stand_in": "render apply" if self.applied else "render preview",
            "engines": sorted(set(TEMPLATE_ENGINES.values())),
            "role": self.role, "node": self.node, "template": self.template, "ok": self.ok,
            "failed": self.failed,
            "variables": {k: v for k, v in self.variables.items() if k != "full_schedule"},
            "actions": [{"render_file": a.render_file, "outputs": a.outputs,
                         "commands": [c.as_dict() for c in a.commands]} for a in self.actions],
            "problems": [p.as_dict() for p in self.problems],
        }


def _hash_dirs(dirs: list[str], resolve: Callable[[str], Path]) -> str:
    digest = hashlib.sha256()
    for directory in dirs:
        base = resolve(directory)
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            digest.update(str(path.relative_to(base)).encode())
            if path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def render_role(tree: Path, schedule: Mapping[str, Any], hostname: str, role: str, *,
                executor: Executor | None = None, deployment_id: str | None = None,
                validate_lithos: Callable[[str, str], list[Problem]] | None = None
                ) -> RenderResult:
    """Render *role* for *hostname*; with an *executor*, run its commands too (apply).

    See ``_render_role``; the executor's temp files are removed afterwards.
    """
    try:
        return _render_role(tree, schedule, hostname, role, executor=executor,
                            deployment_id=deployment_id, validate_lithos=validate_lithos)
    finally:
        if executor is not None:
            executor.close()


def _render_role(tree: Path, schedule: Mapping[str, Any], hostname: str, role: str, *,
                 executor: Executor | None, deployment_id: str | None,
                 validate_lithos: Callable[[str, str], list[Problem]] | None
                 ) -> RenderResult:
    """Render *role* for *hostname*; with an *executor*, run its commands too (apply).

    Without an executor this is **render preview**: templates rendered,
    commands expanded with placeholder file names, nothing run. With one it
    is **render apply**: commands run in order and the first failure stops
    the role, as verwalter_render stops with exit 20.

    *validate_lithos(text, name)* checks any template output passed to
    ``lithos_switch``.
    """
    variables = build_vars(schedule, hostname, role, deployment_id=deployment_id)
    template = variables.get("template")
    result = RenderResult(role, hostname, str(template), executor is not None, variables)
    if not isinstance(template, str):
        result.failed = "no `template` variable for this role (verwalter_render exits 4)"
        return result
    template_dir = tree / "templates" / template
    if not template_dir.is_dir():
        result.failed = f"templates/{template}/ does not exist"
        return result
    result.problems += check_templates(template_dir)
    files = find_render_files(template_dir)
    if not files:
        result.problems.append(Problem(f"templates/{template}", 1, "render",
                                       "no *.render.yaml: nothing would be applied",
                                       "warning"))
    parsed: list[RenderFile] = []
    for path in files:
        render_file, problems = parse_render_file(path, str(path.relative_to(tree)))
        result.problems += problems
        if render_file is not None:
            parsed.append(render_file)
    if not result.ok:
        result.failed = "the templates or render files have errors (verwalter_render exits 10)"
        return result
    for render_file in parsed:
        rel = render_file.name
        try:
            outputs = {name: render_template(render_file.template_path(name), variables)
                       for name in render_file.templates}
        except RenderError as exc:
            result.failed = str(exc)
            return result
        action = ActionRecord(rel, outputs)
        result.actions.append(action)
        if executor is None:
            paths = {f"files.{n}": f"<{n}: rendered {render_file.template_path(n).name}>"
                     for n in outputs}
        else:
            paths = {f"files.{n}": executor.write_temp(n, text) for n, text in outputs.items()}
        expansions = {"role": role, **paths}
        if validate_lithos is not None:
            result.problems += _validate_switched(render_file, outputs, expansions,
                                                  validate_lithos)
        started_hash: dict[tuple[str, ...], str] = {}
        local = executor if isinstance(executor, LocalExecutor) else None
        if local is not None:
            for command in render_file.commands:
                if command.tag == "Condition":
                    dirs = tuple(command.value.get("dirs-changed") or [])
                    started_hash[dirs] = _hash_dirs(list(dirs), local.path)
        failed = _run_commands(render_file.commands, expansions, executor, action,
                               started_hash, rel)
        if failed:
            result.failed = failed
            return result
    return result


def _validate_switched(render_file: RenderFile, outputs: Mapping[str, str],
                       expansions: Mapping[str, str],
                       validate: Callable[[str, str], list[Problem]]) -> list[Problem]:
    problems = []
    for command in render_file.commands:
        if command.tag in ("RootCommand", "Cmd") and len(command.value) >= 3 and \
                Path(command.value[0]).name == "lithos_switch":
            match = COMMAND_VAR_RE.fullmatch(command.value[2].strip())
            name = match.group(1)[len("files."):] if match else None
            if name is not None and name in outputs:
                problems += validate(outputs[name], f"{Path(render_file.name).name}:{name}")
    del expansions
    return problems


def _run_commands(commands: list[RenderCommand], expansions: Mapping[str, str],
                  executor: Executor | None, action: ActionRecord,
                  started_hash: Mapping[tuple[str, ...], str], rel: str) -> str | None:
    for command in commands:
        value = command.value
        record = CommandRecord(command.tag, "")
        action.commands.append(record)
        where = f"{rel}:{command.line}"
        if command.tag in ("RootCommand", "Cmd", "Sh"):
            if command.tag == "RootCommand":
                argv = [expand(v, expansions) for v in value]
                if executor is not None and os.geteuid() != 0 and not isinstance(
                        executor, HostExecutor):
                    argv = ["/usr/bin/sudo", "-n", *argv]
            elif command.tag == "Cmd":
                argv = [value[0]] + [expand(v, expansions) for v in value[1:]]
            else:
                argv = ["sh", "-exc", expand(value, expansions)]
            record.display = shlex.join(argv)
            if executor is None:
                continue
            done = executor.run(argv)
            record.exit_status = done.exit_status
            record.output = (done.stdout + done.stderr).strip()
            if not done.ok:
                return f"{where}: !{command.tag} {record.display} exited {done.exit_status}"
        elif command.tag == "Copy":
            src = expand(value.get("src", "{{ tmp_file }}"), expansions)
            dest = expand(value["dest"], expansions)
            record.display = f"copy {src} -> {dest}"
            if executor is not None:
                try:
                    executor.copy(src, dest, value.get("mode"))
                except (OSError, RenderError) as exc:
                    return f"{where}: !Copy failed: {exc}"
                record.exit_status = 0
        elif command.tag == "PeekLog":
            record.display = f"peek log {expand(value, expansions)} (recorded only)"
        elif command.tag == "Condition":
            dirs = tuple(value.get("dirs-changed") or [])
            record.display = f"if changed: {', '.join(dirs)}"
            if executor is None:
                continue
            if not isinstance(executor, LocalExecutor):
                return f"{where}: !Condition is supported by render apply on this machine only"
            if _hash_dirs(list(dirs), executor.path) == started_hash.get(dirs):
                record.output = "unchanged: skipped"
                continue
            failed = _run_commands(value["commands"], expansions, executor, action,
                                   started_hash, rel)
            if failed:
                return failed
        elif command.tag in ("SplitText", "CleanFiles"):
            record.display = f"{command.tag} {json.dumps(value, sort_keys=True)}"
            if executor is None:
                continue
            if not isinstance(executor, LocalExecutor):
                return f"{where}: !{command.tag} is supported by render apply on this machine only"
            try:
                handler = _split_text if command.tag == "SplitText" else _clean_files
                record.output = handler(value, expansions, executor)
            except (OSError, RenderError, re.error) as exc:
                return f"{where}: !{command.tag} failed: {exc}"
            record.exit_status = 0
    return None


def _split_text(value: Mapping[str, Any], expansions: Mapping[str, str],
                executor: LocalExecutor) -> str:
    src = Path(expand(value.get("src", "{{ tmp_file }}"), expansions))
    dest = expand(value["dest"], expansions)
    section, validate = re.compile(value["section"]), re.compile(value["validate"])
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for number, line in enumerate(src.read_text().splitlines(keepends=True), start=1):
        match = section.match(line.rstrip("\n"))
        if match:
            current = match.group(1)
            if not validate.fullmatch(current):
                raise RenderError(f"section name {current!r} (line {number}) does not "
                                  f"match {validate.pattern!r}")
            parts.setdefault(current, [])
        elif current is None:
            if line.strip():
                raise RenderError(f"line {number} comes before the first section")
        else:
            parts[current].append(line)
    written = []
    for name, lines in parts.items():
        executor_path = executor.path(dest.replace("(*)", name))
        tmp = executor_path.with_name(f".tmp.{executor_path.name}")
        tmp.write_text("".join(lines))
        if value.get("mode") is not None:
            os.chmod(tmp, int(value["mode"]))
        os.replace(tmp, executor_path)
        written.append(str(executor_path))
    pattern = executor.path(dest.replace("(*)", "*"))
    removed = [str(p) for p in pattern.parent.glob(pattern.name)
               if str(p) not in written and not p.name.startswith(".")]
    for stale in removed:
        os.unlink(stale)
    return f"wrote {len(written)}, removed {len(removed)}"


def _clean_files(value: Mapping[str, Any], expansions: Mapping[str, str],
                 executor: LocalExecutor) -> str:
    pattern = expand(value["pattern"], expansions)
    keep = set(executor.path(expand(value["keep-list"], expansions)).read_text().splitlines())
    before, _, rest = pattern.partition("(")
    inner, _, after = rest.partition(")")
    glob = executor.path(before + inner + after)
    prefix = f"{str(executor.root).rstrip('/')}/{before.lstrip('/')}" if executor.root else before
    regex = re.compile(re.escape(prefix) + "(" + fnmatch.translate(inner)[4:-3] + ")" +
                       re.escape(after) + r"\Z")
    removed = []
    for path in sorted(glob.parent.glob(glob.name)):
        match = regex.match(str(path))
        if match and match.group(1) not in keep:
            os.unlink(path)
            removed.append(path.name)
    return f"removed {', '.join(removed) or 'nothing'}"
