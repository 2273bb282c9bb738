"""Property tests: random and mutated input to every validator gives Problems, never an
exception."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tools.lithos import config
from tools.lithos.generate import DjangoParams, generate_files
from tools.problems import Problem
from tools.quire import Tagged, dump
from tools.vagga import tutorial_vagga_yaml, validate_vagga
from tools.validate import validate_path
from tools.verwalter.tree import (
    scaffold_files,
    scaffold_tree,
    validate_render_config,
    validate_schedule,
)

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

FILES = generate_files(DjangoParams(image="django-deploy.0123abcd",
                                    storage_dir="/var/lib/lithos/storage/django"))
SANDBOX, _ = config.parse_sandbox(FILES["sandboxes/django.yaml"], "sandboxes/django.yaml")
BRIDGED, _ = config.parse_sandbox(
    FILES["sandboxes/django.yaml"] + "bridged-network: {bridge: br0, network: 10.0.0.0/24, "
    "default-gateway: 10.0.0.1}\n", "sandboxes/django.yaml")
TREE_FILES = scaffold_files(image="django-deploy.0123abcd")
RENDER = TREE_FILES["templates/django/v1/lithos.render.yaml"]

VALIDATORS: dict[str, tuple[Callable[[str], list[Problem]], str]] = {
    "master": (lambda t: config.validate_master(t, "master.yaml"), FILES["master.yaml"]),
    "sandbox": (lambda t: config.validate_sandbox(t, "sandboxes/django.yaml"),
                FILES["sandboxes/django.yaml"]),
    "process": (lambda t: config.validate_process(t, "processes/django.yaml", sandbox=SANDBOX),
                FILES["processes/django.yaml"]),
    "process-bridged": (lambda t: config.validate_process(t, "p.yaml", sandbox=BRIDGED),
                        FILES["processes/django.yaml"]),
    "container": (lambda t: config.validate_container(t, "config/web.yaml", sandbox=SANDBOX),
                  FILES["config/web.yaml"]),
    "vagga": (lambda t: validate_vagga(t, "vagga.yaml"), tutorial_vagga_yaml()),
    "render": (lambda t: validate_render_config(t, "lithos.render.yaml",
                                                log_dirs={"lithos": "/l"}), RENDER),
}

TOKENS = ["!Tmpfs", "!Readonly", "!Persistent", "!Statedir", "!Container", "!Command",
          "!Copy", "!RootCommand", "!*Include x.yaml", "&a", "*a", "<<: *a", "<<:", "- ",
          "{", "}", "[", "]", ":", " 1.5", " yes", " ~", " null", "@{x}", "@{lithos:pid}",
          "0x", "1_0", "100Mi", "1Ki", "-1", "'", '"', "\t", "\n", "  ", "?", "|", ">",
          "{{ role }}", "{{ files.x }}", "%", "#", "!!int", "!!binary", ".nan", "1e999",
          "70000", "/", "..", "_x: 1", "kind: Command", "\x00", "\ud7ff", "é"]


def assert_only_problems(problems: object) -> None:
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert isinstance(problem.line, int) and problem.line >= 1
        assert isinstance(problem.key, str) and isinstance(problem.message, str)
        assert problem.severity in ("error", "warning")


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few random edits: token inserts, line drops and duplicates,
    character deletions, indentation changes."""
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["insert", "drop", "dup", "delete", "indent", "swap"]))
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[index] if lines else ""
        if action == "insert":
            at = draw(st.integers(0, len(line)))
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=5))
            lines[index] = line[:at] + token + line[at:]
        elif action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "dup":
            lines.insert(index, line)
        elif action == "delete" and line:
            at = draw(st.integers(0, len(line) - 1))
            lines[index] = line[:at] + line[at + 1:]
        elif action == "indent":
            lines[index] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + line.lstrip()
        elif action == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return "".join(lines)


def _leaves(data: object, path: tuple = ()) -> list[tuple]:
    """Paths to every value in a loaded document (containers included)."""
    found: list[tuple] = [path] if path else []
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else ())
    for key, value in items:
        found += _leaves(value, (*path, key))
    return found


@st.composite
def value_mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` loaded, one value (or key) replaced by a random scalar or token, dumped."""
    yaml = YAML(typ="rt")
    data = yaml.load(text)
    paths = _leaves(data)
    if not paths:
        return text
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        new = draw(scalars | st.sampled_from(["x", "0x", "1.5", "yes", "-1", "99999999999"]))
        try:
            if draw(st.booleans()) and isinstance(parent, dict):
                value = parent.pop(path[-1])
                parent[str(new)] = value
            else:
                parent[path[-1]] = new
        except (KeyError, IndexError, TypeError):
            continue
        paths = _leaves(data)
        if not paths:
            break
    out = io.StringIO()
    try:
        yaml.dump(data, out)
    except Exception:  # an unrepresentable value: keep the text as it was
        return text
    return out.getvalue()


scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True), st.text(max_size=20),
                    st.sampled_from(TOKENS))
keys = st.one_of(st.sampled_from(["image", "config", "kind", "volumes", "tcp-ports", "fd",
                                  "executable", "allow-users", "setup", "containers",
                                  "commands", "templates", "run", "container", "_x",
                                  "variables", "environ", "/tmp", "8000", "web"]),
                 st.text(max_size=10))
tags = st.sampled_from(["!Tmpfs", "!Readonly", "!Persistent", "!Statedir", "!TcpPort",
                        "!Command", "!Supervise", "!Ubuntu", "!Copy", "!EnsureDir", "!Sh",
                        "!RootCommand", "!PeekLog", "!Condition", "!Unknown"])
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
        st.builds(Tagged, tags, children)),
    max_leaves=25)


def random_yaml(data: object) -> str:
    try:
        return dump(data)
    except Exception:  # ruamel can't write every random structure; fall back to JSON
        return json.dumps(data, default=str)


@SETTINGS
@given(name=st.sampled_from(sorted(VALIDATORS)), text=st.text(max_size=300))
def test_random_text_gives_only_problems(name: str, text: str) -> None:
    validate, _ = VALIDATORS[name]
    assert_only_problems(validate(text))


@SETTINGS
@given(name=st.sampled_from(sorted(VALIDATORS)), data=documents)
def test_random_yaml_documents_give_only_problems(name: str, data: object) -> None:
    validate, _ = VALIDATORS[name]
    assert_only_problems(validate(random_yaml(data)))


def valid_configs_changed_by(
        change: Callable[[str], st.SearchStrategy[str]]) -> st.SearchStrategy[tuple[str, str]]:
    """(validator name, its valid example changed by the strategy *change*)."""
    return st.sampled_from(sorted(VALIDATORS)).flatmap(
        lambda name: st.tuples(st.just(name), change(VALIDATORS[name][1])))


def assert_validator_gives_only_problems(name_and_text: tuple[str, str]) -> None:
    """The validator *name* gives only Problems for *text*."""
    name, text = name_and_text
    validate, _ = VALIDATORS[name]
    assert_only_problems(validate(text))


@SETTINGS
@given(name_and_text=valid_configs_changed_by(mutated))
def test_mutated_valid_configs_give_only_problems(name_and_text: tuple[str, str]) -> None:
    assert_validator_gives_only_problems(name_and_text)


@SETTINGS
@given(name_and_text=valid_configs_changed_by(value_mutated))
def test_configs_with_random_values_give_only_problems(name_and_text: tuple[str, str]) -> None:
    assert_validator_gives_only_problems(name_and_text)


TREE_TARGETS = ["scheduler/v1/main.lua", "scheduler/v1/json.lua",
                "templates/django/v1/lithos.render.yaml", "templates/django/v1/lithos.yaml.hbs",
                "sandbox/lithos.yaml", "runtime/django/v1.yaml"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TREE_TARGETS), data=st.data())
def test_mutated_verwalter_trees_give_only_problems(target: str, data: st.DataObject) -> None:
    text = data.draw(mutated(TREE_FILES[target]))
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "tree"
        scaffold_tree(root, image="django-deploy.0123abcd")
        (root / target).write_text(text, errors="surrogatepass")
        assert_only_problems(validate_path(root, "verwalter-tree"))
        shutil.rmtree(root)


@SETTINGS
@given(schedule=st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(
                                   ["nodes", "roles", "vars", "changes", "template", "node1",
                                    "django", "x"]), children, max_size=4)),
    max_leaves=20))
def test_random_schedules_give_only_problems(schedule: object) -> None:
    assert_only_problems(validate_schedule(schedule, None))


@SETTINGS
@given(text=st.binary(max_size=200))
def test_random_bytes_on_disk_give_only_problems(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        for relative, kind in (("master.yaml", "lithos-master"), ("vagga.yaml", "vagga"),
                               ("config/web.yaml", "lithos-container")):
            path = base / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            assert_only_problems(validate_path(path, kind))
