"""Validate a verwalter config tree (``/etc/verwalter``) and scaffold the tutorial's one.

What :func:`validate_tree` checks (verwalter 0.13.4 rules):

* ``scheduler/v1/main.lua`` (or ``scheduler.wasm``) exists; it and every
  module it requires (transitively) compile in real Lua 5.3 (via :mod:`lupa`);
  ``require`` uses slash paths naming existing ``.lua`` files (verwalter
  replaces the extension, so ``require "a.b"`` would load ``a.lua``); no
  use of ``io`` or ``os`` (verwalter does not load those libraries).
  ``main.lua`` is then loaded in a sandboxed Lua 5.3 and must return a table
  with a ``scheduler`` function (``run_scheduler=False`` skips this);
* ``runtime/``: ``.yaml``/``.yml``/``.json``/``.txt`` files are data; YAML must
  be JSON-compatible; a file that does not parse is an error (verwalter
  skips it, so the scheduler would not see it);
* ``sandbox/`` exists (it may hold no config at all); each ``*.yaml``/``*.yml`` in it
  has only ``log-dirs``, and ``!PeekLog`` paths start with one of their names;
* ``templates/<name>/<version>/``: every ``*.render.yaml``/``*.render.yml`` has
  only ``templates`` and ``commands`` with known command tags and shapes;
  every template file parses. Handlebars (``.hbs``, ``.handlebars``) is
  parsed by pybars3, a Python port of the same language. **Tera**
  (``.tera``) is only *approximated* by parsing with Jinja2, whose syntax Tera
  copies closely but not exactly: Tera-only constructs may be reported
  wrongly, and Jinja-only ones accepted. Trimmer (``.trm``, ``.trimmer``) is
  not parsed at all (reported as a warning);
* ``/etc/machine-id`` (when given): 32 hex digits and an optional newline.

:func:`validate_schedule` checks a scheduler's output against the tree
(``nodes`` keyed by host name, role objects, a ``template`` naming an
existing template directory, ``changes`` a list of strings).

:func:`scaffold_tree` writes the tutorial's tree: a deterministic Lua
scheduler that places the ``django`` role on every node using the newest
version found under ``runtime/django/``, the lithos template and its render
file, and the ``sandbox/`` directory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..problems import Problem
from ..quire import (
    INVALID,
    TOP,
    Mapping,
    Str,
    Struct,
    check,
    load,
    syntax_problem,
)
from .lua import Sandbox, open_sandbox
from .render_file import TEMPLATE_ENGINES, read_render_file, unknown_variables
from .template_check import syntax_problems, unknown_variable_problems

RUNTIME_EXTENSIONS = (".yaml", ".yml", ".json", ".txt")
REQUIRE_RE = re.compile(r"""\brequire\s*\(?\s*(["'])([^"']*)\1""")
FORBIDDEN_LIB_RE = re.compile(r"(?<![\w.])(io|os)\s*\.\s*\w+")
LUA_STANDARD_MODULES = frozenset(
    {"_G", "string", "table", "math", "utf8", "debug", "coroutine", "package"})
INSTRUCTION_LIMIT = 10_000_000
"""Lua instructions main.lua may run while it loads (stops endless loops)."""


def ignored(name: str) -> bool:
    """Whether verwalter's directory scans skip ``name`` (hidden files, editor backups)."""
    return (name.startswith(".") or name.endswith("~") or name.endswith(".bak")
            or (name.startswith("#") and name.endswith("#")))


def _walk(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for child in sorted(root.iterdir()):
        if ignored(child.name):
            continue
        if child.is_dir():
            yield from _walk(child)
        else:
            yield child


# --------------------------------------------------------------------------- render files


SANDBOX_SCHEMA = Struct({"log-dirs": Mapping(Str())})


def validate_render_config(text_or_path: str | Path, filename: str | None = None,
                           log_dirs: dict[str, str] | None = None) -> list[Problem]:
    """Every problem of a ``*.render.yaml``; template files are looked up next to it
    when a path is given.

    ``log_dirs`` (from ``sandbox/``) checks ``!PeekLog`` paths: a name missing from
    them is an error, but only a warning when there are no names at all (a
    ``sandbox/`` without config, which verwalter 0.13.4 accepts: it skips the peek).
    ``None`` skips that check."""
    render_file, problems = read_render_file(text_or_path, filename)
    if render_file is None:
        return problems
    name = render_file.name
    for command in render_file.all_commands():
        line, key = command.line, command.key
        if command.tag == "Copy" and "src" not in command.given:
            problems.append(Problem(name, line, key, "!Copy without src copies "
                                    "'{{ tmp_file }}', which is never defined; set src",
                                    "warning"))
        if command.tag == "PeekLog":
            path = command.value
            if path.startswith("/"):
                problems.append(Problem(name, line, key, "!PeekLog takes a path relative "
                                        "to a log-dirs entry of sandbox/"))
            elif log_dirs is not None:
                first = path.split("/")[0]
                if "{{" not in first and not log_dirs:
                    # verwalter 0.13.4 loads such a tree; the peek only logs "no directory"
                    problems.append(Problem(name, line, key, f"{first!r} is not a log-dirs "
                                            "name: sandbox/ names no log directories, so "
                                            "verwalter skips this peek", "warning"))
                elif "{{" not in first and first not in log_dirs:
                    problems.append(Problem(name, line, key, f"{first!r} is not a "
                                            "log-dirs name in sandbox/ (it has "
                                            f"{', '.join(sorted(log_dirs))})"))
        for sub, var in unknown_variables(command, render_file.templates):
            if var == "tmp_file" and sub == ".src":
                continue
            problems.append(Problem(name, line, f"{key}{sub}", f"{{{{ {var} }}}} is "
                                    "not available in commands: only {{ role }} and "
                                    "{{ files.<template name> }} are"))
    return problems


# --------------------------------------------------------------------------- templates


def _error_line(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def _near_line(text: str, message: str) -> int:
    """The line of the snippet pybars quotes after "near" (its own line count is off)."""
    match = re.search(r" near (.+)$", message)
    if match:
        offset = text.find(match.group(1).strip())
        if offset >= 0:
            return text.count("\n", 0, offset) + 1
    return _error_line(message)


def validate_template(path: Path, filename: str | None = None) -> list[Problem]:
    """Whether one template file parses with its engine (see the module notes on Tera)."""
    name = filename or str(path)
    engine = TEMPLATE_ENGINES.get(path.suffix)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(name, 1, TOP, f"cannot read template: {exc}")]
    if engine == "handlebars":
        return syntax_problems(text, name)
    if engine == "tera":
        import jinja2

        try:
            jinja2.Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"]
                               ).parse(text)
        except jinja2.TemplateSyntaxError as exc:
            return [Problem(name, exc.lineno or 1, "tera", f"{exc.message} (Tera is checked "
                            "with Jinja2, an approximation)")]
        return []
    if engine == "trimmer":
        return [Problem(name, 1, "trimmer", "Trimmer templates are not parsed by this "
                        "validator", "warning")]
    return []


# --------------------------------------------------------------------------- scheduler


def validate_scheduler(root: Path, run: bool = True) -> list[Problem]:
    """Checks of ``scheduler/v1``: presence, compilation, requires, libraries, entry point."""
    directory = root / "scheduler" / "v1"
    main = directory / "main.lua"
    if (directory / "scheduler.wasm").is_file():
        return []
    if not main.is_file():
        return [Problem(str(main), 1, TOP, "scheduler/v1/main.lua (or scheduler.wasm) is "
                        "missing; verwalter exits with code 4")]
    problems: list[Problem] = []
    sandbox = open_sandbox(directory, instruction_limit=INSTRUCTION_LIMIT)
    # only the modules main.lua can reach matter (specs and tools next to them do not)
    todo, seen = [main], {main}
    while todo:
        path = todo.pop(0)
        name = str(path)
        source = path.read_text(errors="replace")
        _, error = sandbox.compile(source, path.name)
        if error is not None:
            problems.append(Problem(name, _lua_line(str(error)), "lua",
                                    f"does not compile: {error}"))
            continue
        for number, line_text in enumerate(source.splitlines(), 1):
            code = line_text.split("--", 1)[0]
            for match in REQUIRE_RE.finditer(code):
                module = match.group(2)
                if module in LUA_STANDARD_MODULES:
                    continue
                # verwalter replaces the module's extension by .lua
                target = str(PurePosixPath(module).with_suffix(".lua")) if module else ""
                if "." in PurePosixPath(module).name and not module.endswith(".lua"):
                    problems.append(Problem(name, number, "require", f"require {module!r} "
                                            f"loads {target!r} in verwalter: use slash paths "
                                            "('a/b', not 'a.b')"))
                elif not target or not (directory / target).is_file():
                    problems.append(Problem(name, number, "require", f"module {module!r} not "
                                            f"found as scheduler/v1/{target}"))
                elif (directory / target) not in seen:
                    seen.add(directory / target)
                    todo.append(directory / target)
            for match in FORBIDDEN_LIB_RE.finditer(code):
                problems.append(Problem(name, number, match.group(1), f"{match.group(0)}: the "
                                        f"'{match.group(1)}' library is not available in "
                                        "verwalter's Lua"))
    if run and not problems:
        problems += _load_main(sandbox)
    return problems


def _lua_line(message: str, chunk: str | None = None) -> int:
    if chunk is not None:
        match = re.search(re.escape(chunk) + r":(\d+):", message)
        if match:
            return int(match.group(1))
    match = re.search(r":(\d+):", message)
    return int(match.group(1)) if match else 1


def _load_main(sandbox: Sandbox) -> list[Problem]:
    import lupa.lua53 as lupa

    name = str(sandbox.scheduler_dir / "main.lua")
    try:
        stage, result = sandbox.load_main()
    except lupa.LuaError as exc:
        stage, result = "load", exc
    if stage == "load":
        message = sandbox.shorten(result).split("\nstack traceback:", 1)[0]
        return [Problem(name, _lua_line(message, "main.lua"), "lua",
                        f"loading main.lua failed: {message}")]
    if stage == "contract":
        return [Problem(name, 1, "scheduler", result)]
    return []


# --------------------------------------------------------------------------- data dirs


def _json_compatible(value: Any) -> str | None:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN and infinite numbers have no JSON form"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) or key is None:
                return "mapping keys must be scalars"
            message = _json_compatible(item)
            if message:
                return message
    if isinstance(value, list):
        for item in value:
            message = _json_compatible(item)
            if message:
                return message
    return None


def validate_runtime(root: Path) -> list[Problem]:
    """Checks of ``runtime/``: every data file parses and is JSON-compatible."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    problems: list[Problem] = []
    for path in _walk(root / "runtime"):
        name = str(path)
        if path.suffix not in RUNTIME_EXTENSIONS:
            continue
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, 1, TOP, f"cannot read: {exc}"))
            continue
        if path.suffix == ".json":
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(Problem(name, exc.lineno, TOP, f"invalid JSON: {exc.msg} "
                                        "(verwalter skips this file)"))
        elif path.suffix in (".yaml", ".yml"):
            try:
                documents = list(YAML(typ="safe").load_all(text))
            except YAMLError as exc:
                problem = syntax_problem(exc, text, name)
                problems.append(replace(problem, message=f"{problem.message} (verwalter "
                                        "skips this file)"))
                continue
            except Exception as exc:  # constructor errors of odd YAML (bad timestamps...)
                problems.append(Problem(name, 1, TOP, f"invalid YAML: {exc}"))
                continue
            if documents:
                message = _json_compatible(documents[0])
                if message:
                    problems.append(Problem(name, 1, TOP, f"not JSON-compatible: {message}"))
            if len(documents) > 1:
                problems.append(Problem(name, 1, TOP, "only the first YAML document is used",
                                        "warning"))
    return problems


def read_log_dirs(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """The merged ``log-dirs`` of ``sandbox/*.yaml`` and the problems of those files."""
    directory = root / "sandbox"
    if not directory.is_dir():
        return {}, [Problem(str(directory), 1, TOP, "sandbox/ directory is missing; verwalter "
                            "and verwalter_render refuse to start without it (it may be "
                            "empty)")]
    log_dirs: dict[str, str] = {}
    problems: list[Problem] = []
    for path in sorted(directory.iterdir()):
        if ignored(path.name) or path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        node, more = load(path.read_text(errors="replace"), str(path))
        problems += more
        if any(p.severity == "error" for p in more):
            continue
        record, more = check(node, SANDBOX_SCHEMA, str(path))
        problems += more
        if record is INVALID:
            continue
        for key, value in record["log-dirs"].items():
            if not value.startswith("/"):
                problems.append(Problem(str(path), record["log-dirs"].line_of(key),
                                        f"log-dirs.{key}", "must be an absolute path"))
            log_dirs[key] = value
    return log_dirs, problems


def validate_templates(root: Path, log_dirs: dict[str, str] | None = None) -> list[Problem]:
    """Every render file and template file under ``templates/``."""
    problems: list[Problem] = []
    for path in _walk(root / "templates"):
        if path.name.endswith((".render.yaml", ".render.yml")):
            problems += validate_render_config(path, log_dirs=log_dirs)
        elif path.suffix in TEMPLATE_ENGINES:
            problems += validate_template(path)
    return problems


def validate_machine_id(text_or_path: str | Path, filename: str | None = None
                        ) -> list[Problem]:
    """``/etc/machine-id``, judged as ``machine-id check`` judges it
    (:func:`tools.machine_id.id_file_problem`)."""
    from ..machine_id import id_file_problem

    if isinstance(text_or_path, Path):
        name = filename or str(text_or_path)
        try:
            raw: bytes | None = text_or_path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            return [Problem(name, 1, "machine-id", f"cannot read: {exc.strerror}",
                            rule="machine-id")]
    else:
        name, raw = filename or "<string>", text_or_path.encode()
    wrong = id_file_problem(raw)
    if wrong is None:
        return []
    return [Problem(name, 1, "machine-id", f"{wrong} (verwalter and cantal refuse it)",
                    rule="machine-id")]


def validate_tree(root: Path, *, machine_id: Path | None = None,
                  run_scheduler: bool = True) -> list[Problem]:
    """Every problem of a verwalter config directory (see the module notes)."""
    if not root.is_dir():
        return [Problem(str(root), 1, TOP, "not a directory")]
    problems: list[Problem] = []
    if machine_id is not None:
        problems += validate_machine_id(machine_id)
    problems += validate_scheduler(root, run=run_scheduler)
    problems += validate_runtime(root)
    log_dirs, more = read_log_dirs(root)
    problems += more
    # a sandbox file that is missing or broken is reported once, not again at every
    # !PeekLog that names one of its log directories
    known = (root / "sandbox").is_dir() and not any(p.severity == "error" for p in more)
    problems += validate_templates(root, log_dirs if known else None)
    if run_scheduler and not any(p.severity == "error" for p in problems):
        problems += sample_run_problems(root)
    if not (root / "templates").is_dir():
        problems.append(Problem(str(root / "templates"), 1, TOP, "templates/ directory is "
                                "missing: no role can be rendered", "warning"))
    return problems


SAMPLE_HOST = "validate-sample"
"""The one node of the sample input :func:`sample_run_problems` runs the scheduler on."""


def sample_run_problems(root: Path) -> list[Problem]:
    """Run the scheduler once on a sample input (one node, the tree's ``runtime/``) and
    check what crosses scheduler and templates: a runtime error at its Lua line (rule
    ``scheduler-runtime``), and template variables no role's schedule gives (rule
    ``template-variable``)."""
    from .schedule import build_vars, lua_error_location, preview

    main = root / "scheduler" / "v1" / "main.lua"
    if not main.is_file():
        return []
    result = preview(root, current_host=SAMPLE_HOST, check_determinism=False)
    if result.error is not None:
        error = result.error.split("\nstack traceback:", 1)[0].strip()
        where = lua_error_location(error)
        path, line = main, 1
        if where is not None:
            line = where[1]
            path = next((candidate for candidate in (root / where[0], main.parent / where[0])
                         if candidate.is_file()), main)
        return [Problem(str(path), line, "scheduler", f"run once on a sample input (node "
                        f"{SAMPLE_HOST!r}, runtime/ of the tree): {error}",
                        rule="scheduler-runtime")]
    contexts: dict[str, tuple[dict[str, Any], str]] = {}
    schedule = result.schedule or {}
    nodes = schedule.get("nodes") if isinstance(schedule.get("nodes"), dict) else {}
    for host, node in (nodes or {}).items():
        roles = node.get("roles") if isinstance(node, dict) else None
        for role in roles if isinstance(roles, dict) else {}:
            variables = build_vars(schedule, str(host), str(role), deployment_id="x")
            template = variables.get("template")
            if isinstance(template, str) and template not in contexts:
                contexts[template] = (variables, f"the schedule of role {role!r}")
    problems: list[Problem] = []
    for template, (variables, source) in sorted(contexts.items()):
        for path in _walk(root / "templates" / template):
            if path.suffix in (".hbs", ".handlebars"):
                problems += unknown_variable_problems(path.read_text(errors="replace"),
                                                      str(path), variables, source)
    return problems


def validate_schedule(schedule: Any, root: Path | None = None,
                      filename: str = "<schedule>") -> list[Problem]:
    """Checks of a scheduler's output (the decoded JSON object)."""
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(filename, 1, key, message))

    if not isinstance(schedule, dict):
        return [Problem(filename, 1, TOP, "the schedule must be a JSON object")]
    roles = schedule.get("roles") or {}
    global_vars = schedule.get("vars") or {}
    if not isinstance(roles, dict):
        add("roles", "must be an object")
        roles = {}
    nodes = schedule.get("nodes") or {}
    if not isinstance(nodes, dict):
        add("nodes", "must be an object keyed by host name")
        nodes = {}
    for host, info in nodes.items():
        if not isinstance(info, dict):
            add(f"nodes.{host}", "must be an object")
            continue
        node_roles = info.get("roles") or {}
        if not isinstance(node_roles, dict):
            add(f"nodes.{host}.roles", "must be an object")
            continue
        for role, data in node_roles.items():
            if not isinstance(data, dict):
                add(f"nodes.{host}.roles.{role}", "must be an object")
                continue
            template = next((source.get("template") for source in (
                data, info.get("vars") or {}, roles.get(role) or {}, global_vars)
                if isinstance(source, dict) and "template" in source), None)
            if not isinstance(template, str):
                add(f"nodes.{host}.roles.{role}", "no 'template' string for this role "
                    "(verwalter_render exits 4)")
            elif root is not None and not (root / "templates" / template).is_dir():
                add(f"nodes.{host}.roles.{role}", f"template {template!r} has no directory "
                    f"templates/{template}")
    changes = schedule.get("changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, str) for c in changes):
        add("changes", "must be a list of strings")
    return problems


# --------------------------------------------------------------------------- scaffold

_JSON_LUA = r"""-- Minimal JSON encoder for the scheduler (deterministic: object keys sorted).
local json = {}

local escapes = {
    ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
    ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function encode_string(s)
    local escaped = s:gsub('[%c"\\]', function(c)
        return escapes[c] or string.format('\\u%04x', c:byte())
    end)
    return '"' .. escaped .. '"'
end

-- A table is a JSON array when its keys are exactly 1..n; an empty table is
-- an object unless it is marked with json.array().
local array_marker = {}
function json.array(t)
    return setmetatable(t or {}, array_marker)
end

local function is_array(t)
    if getmetatable(t) == array_marker then return true end
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    if n == 0 then return false end
    for i = 1, n do
        if t[i] == nil then return false end
    end
    return true
end

function json.encode(value)
    local kind = type(value)
    if kind == "nil" then
        return "null"
    elseif kind == "boolean" then
        return tostring(value)
    elseif kind == "number" then
        if value ~= value or value == math.huge or value == -math.huge then
            error("json: cannot encode " .. tostring(value))
        end
        if math.type(value) == "integer" then
            return string.format("%d", value)
        end
        return string.format("%.14g", value)
    elseif kind == "string" then
        return encode_string(value)
    elseif kind == "table" then
        local parts = {}
        if is_array(value) then
            for i = 1, #value do
                parts[#parts + 1] = json.encode(value[i])
            end
            return "[" .. table.concat(parts, ",") .. "]"
        end
        local keys = {}
        for k in pairs(value) do
            keys[#keys + 1] = k
        end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        for _, k in ipairs(keys) do
            parts[#parts + 1] = encode_string(tostring(k)) .. ":" .. json.encode(value[k])
        end
        return "{" .. table.concat(parts, ",") .. "}"
    end
    error("json: cannot encode a " .. kind)
end

return json
"""

_MAIN_LUA = """\
-- Scheduler of the tutorial: place the `{role}` role on every known node.
--
-- Input: verwalter's scheduler input (current_host, peers, runtime, parents,
-- actions). Output: the schedule as JSON text, and a log.
--
-- * Versions are the files runtime/{role}/<version>.yaml (keys of
--   runtime.{role}); the newest version wins ("v10" is newer than "v9"),
--   unless an action {{"role": "{role}", "version": "vN"}} picked one. The
--   choice is remembered in the schedule's `state` and kept until a version
--   newer than it appears.
-- * A version file may list `nodes: [...]` to place the role on those
--   hosts only; otherwise it runs on every node, the local one included
--   (verwalter's `peers` leave the local node out).
-- * A node without the role gets an empty daemon set, so its lithos
--   process file is emptied instead of left behind.
-- * Nothing time-dependent goes into the schedule, so the same input always
--   gives the same schedule and nothing is re-deployed needlessly.
local json = require "json"

local ROLE = "{role}"
local TEMPLATE = "{template}"

local function version_key(name)
    local parts = {{}}
    for number in tostring(name):gmatch("%d+") do
        parts[#parts + 1] = tonumber(number)
    end
    return parts
end

local function newer(a, b)
    local ka, kb = version_key(a), version_key(b)
    for i = 1, math.max(#ka, #kb) do
        local x, y = ka[i] or -1, kb[i] or -1
        if x ~= y then return x > y end
    end
    return tostring(a) > tostring(b)
end

local function sorted_keys(t)
    local keys = {{}}
    for k in pairs(t or {{}}) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    return keys
end

local function known_hosts(input)
    local seen, hosts = {{}}, {{}}
    local function add(name)
        if name and name ~= "" and not seen[name] then
            seen[name] = true
            hosts[#hosts + 1] = name
        end
    end
    add(input.current_host)
    for _, id in ipairs(sorted_keys(input.peers)) do
        add(input.peers[id].hostname)
    end
    table.sort(hosts)
    return hosts
end

local function newest_of(versions)
    local newest
    for _, name in ipairs(sorted_keys(versions)) do
        if newest == nil or newer(name, newest) then newest = name end
    end
    return newest
end

-- Our own state from the previous schedule(s); after a split brain there may
-- be several parents: take the one with the newest version.
local function previous_state(input)
    local best
    for _, parent in ipairs(input.parents or {{}}) do
        local state = type(parent.state) == "table" and parent.state[ROLE]
        if type(state) == "table" and state.version
                and (best == nil or newer(state.version, best.version)) then
            best = state
        end
    end
    return best
end

local function chosen_version(input, versions)
    local choice
    for _, id in ipairs(sorted_keys(input.actions)) do
        local action = input.actions[id]
        if type(action) == "table" and action.role == ROLE and versions[action.version] then
            choice = action.version
        end
    end
    if choice then return choice, "action" end
    local newest = newest_of(versions)
    local previous = previous_state(input)
    if previous and versions[previous.version] then
        -- keep the earlier choice unless a version newer than it has appeared since
        local seen = {{}}
        for _, name in ipairs(previous.seen or {{}}) do seen[name] = true end
        if newest and not seen[newest] and newer(newest, previous.version) then
            return newest, "new version"
        end
        return previous.version, "previous"
    end
    return newest, "newest"
end

local function daemons_of(meta)
    local daemons = {{}}
    for _, name in ipairs(sorted_keys(meta.daemons)) do
        local d = meta.daemons[name]
        daemons[name] = {{
            image = d.image,
            config = d.config,
            instances = math.tointeger(tonumber(d.instances or 1)) or 1,
        }}
    end
    return daemons
end

local function schedule(input)
    local log = {{}}
    local versions = (input.runtime or {{}})[ROLE] or {{}}
    local version, why = chosen_version(input, versions)
    local meta = version and versions[version] or {{}}
    local placement
    if type(meta.nodes) == "table" then
        placement = {{}}
        for _, host in ipairs(meta.nodes) do placement[host] = true end
    end
    local nodes = {{}}
    for _, host in ipairs(known_hosts(input)) do
        local daemons = {{}}
        if version and (placement == nil or placement[host]) then
            daemons = daemons_of(meta)
        end
        nodes[host] = {{roles = {{[ROLE] = {{daemons = daemons}}}}}}
    end
    log[#log + 1] = string.format("%s: version %s (%s)", ROLE, tostring(version), why)
    local changes = json.array()
    local previous = previous_state(input)
    if version ~= (previous and previous.version) then
        changes[#changes + 1] = string.format("%s: version %s", ROLE, tostring(version))
    end
    return {{
        roles = {{[ROLE] = {{template = TEMPLATE, version = version}}}},
        nodes = nodes,
        state = {{[ROLE] = {{version = version, seen = json.array(sorted_keys(versions))}}}},
        changes = changes,
    }}, table.concat(log, "\\n")
end

local function scheduler(input)
    local ok, result, log = xpcall(schedule, debug.traceback, input)
    if not ok then
        error(result)
    end
    return json.encode(result), log
end

return {{
    scheduler = scheduler,
}}
"""

_LITHOS_HBS = """\
# lithos processes of role {{role}}, rendered by verwalter {{verwalter_version}}
{{#each daemons}}
{{@key}}:
  kind: Daemon
  image: {{image}}
  config: {{config}}
  instances: {{instances}}
{{/each}}
"""


def scaffold_files(role: str = "django", template_version: str = "v1",
                   image: str | None = None, version: str = "v1",
                   config: str = "/config/web.yaml", instances: int = 1,
                   process: str = "web") -> dict[str, str]:
    """The tutorial's verwalter tree as ``{relative path: text}``.

    With ``image`` (``<container>.<hash8>``) a first runtime version file
    ``runtime/<role>/<version>.yaml`` is included.
    """
    from ..quire import dump

    template = f"{role}/{template_version}"
    files = {
        "scheduler/v1/main.lua": _MAIN_LUA.format(role=role, template=template),
        "scheduler/v1/json.lua": _JSON_LUA,
        f"templates/{template}/lithos.yaml.hbs": _LITHOS_HBS,
        f"templates/{template}/lithos.render.yaml": dump({
            "templates": {"processes": "lithos.yaml.hbs"},
            "commands": [
                _tagged("!PeekLog", f"lithos/{role}.log"),
                _tagged("!RootCommand", ["lithos_switch", "{{ role }}",
                                         "{{ files.processes }}"]),
            ],
        }),
        "sandbox/lithos.yaml": dump({"log-dirs": {"lithos": "/var/log/lithos"}}),
    }
    if image is not None:
        files[f"runtime/{role}/{version}.yaml"] = dump({"daemons": {process: {
            "image": image, "config": config, "instances": instances}}})
    return files


def _tagged(tag: str, value: Any) -> Any:
    from ..quire import Tagged

    return Tagged(tag, value)


def scaffold_tree(out: Path, **options: Any) -> list[Path]:
    """Write the tutorial's tree under ``out`` (each file atomically); creates the
    ``runtime/<role>/`` directory even without a version file."""
    from ..lithos.generate import write_files

    files = scaffold_files(**options)
    written = write_files(out, files)
    (out / "runtime" / options.get("role", "django")).mkdir(parents=True, exist_ok=True)
    return written


def schedule_json(text: str) -> Any:
    """Decode a scheduler's first return value (helper for previews and tests)."""
    return json.loads(text)


__all__ = [
    "read_log_dirs",
    "scaffold_files",
    "scaffold_tree",
    "validate_machine_id",
    "validate_render_config",
    "validate_runtime",
    "validate_schedule",
    "validate_scheduler",
    "validate_template",
    "validate_templates",
    "validate_tree",
]
