"""One entry point for every config validator, with the kind guessed from the path.

Kinds: ``lithos-master``, ``lithos-sandbox``, ``lithos-process``,
``lithos-container``, ``vagga``, ``verwalter-tree``.

:func:`validate_path` checks one file or verwalter tree. :func:`validate_paths`
checks what an operator names on the command line: files, directories
(searched for files whose kind can be told; a verwalter tree inside is
checked as one tree) and ``-`` (standard input), and returns one
:class:`Checked` a file or tree, skipped files included.

>>> guess_kind(Path("/etc/lithos/sandboxes/django.yaml"))
'lithos-sandbox'
>>> guess_kind(Path("lithos.master.yaml")), guess_kind(Path("project/vagga.yaml"))
('lithos-master', 'vagga')
>>> guess_kind(Path("notes.yaml")) is None
True
>>> kind_from_text("containers:\\n  app:\\n    setup: []\\n")
'vagga'
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .lithos import config as lithos
from .problems import Problem
from .quire import Struct, load
from .rules import KIND_RULES
from .suppress import file_lines, with_rule, without_silenced
from .walk import Passed, exclude_spec, special_file, walk

KINDS = ("lithos-master", "lithos-sandbox", "lithos-process", "lithos-container", "vagga",
         "verwalter-tree")
STDIN = "-"
"""The path that means standard input."""
STDIN_NAME = "<stdin>"
"""How problems of standard input name their file."""
YAML_SUFFIXES = (".yaml", ".yml")


class UsageError(ValueError):
    """The request itself is wrong: unknown kind, kind not guessable, missing path."""


@dataclass
class Checked:
    """The outcome for one file or tree: its kind and problems, or why it was skipped."""

    path: str
    kind: str | None
    problems: list[Problem] = field(default_factory=list)
    skipped: str | None = None
    """Why the file was not checked (``"unknown kind"``); None when it was."""

    def status(self, strict: bool = False) -> str:
        """``ok``, ``warnings``, ``failed`` or ``skipped`` (warnings fail when *strict*)."""
        if self.skipped is not None:
            return "skipped"
        if any(p.severity == "error" for p in self.problems):
            return "failed"
        if self.problems:
            return "failed" if strict else "warnings"
        return "ok"


def guess_kind(path: Path) -> str | None:
    """The kind a path most likely is, from its name and place; None when unclear."""
    name = path.name
    if path.is_dir():
        if (path / "scheduler").is_dir() or (path / "templates").is_dir():
            return "verwalter-tree"
        return None
    if name == "vagga.yaml" or (name.startswith("vagga.") and name.endswith(".yaml")):
        return "vagga"
    if name == "master.yaml" or name.endswith(".master.yaml"):
        return "lithos-master"
    parent = path.parent.name
    if parent == "sandboxes":
        return "lithos-sandbox"
    if parent == "processes":
        return "lithos-process"
    if parent == "config" and name.endswith(YAML_SUFFIXES):
        return "lithos-container"
    return None


_VAGGA_KEYS = frozenset({"minimum-vagga", "mixins", "containers", "commands"})


def _struct_keys(schema: Struct) -> frozenset[str]:
    return frozenset(schema.members)


def kind_from_text(text: str) -> str | None:
    """The kind a YAML text most likely is, from its top-level keys; None when unclear.

    A kind wins when it knows more of the keys than any other kind and more
    than half of them (so a file with a misspelt key is still recognised);
    a mapping of mappings with ``image`` and ``config`` is a process file.
    """
    node, problems = load(text, STDIN_NAME)
    if node is None or node.kind != "map" or any(p.severity == "error" for p in problems):
        return None
    keys = [str(k).replace("_", "-") for k, _ in node.value if not str(k).startswith("_")]
    if not keys:
        return None
    candidates = {
        "vagga": _VAGGA_KEYS,
        "lithos-master": _struct_keys(lithos.MASTER_SCHEMA),
        "lithos-sandbox": _struct_keys(lithos.SANDBOX_SCHEMA),
        "lithos-container": _struct_keys(lithos.CONTAINER_SCHEMA),
    }
    scores = {kind: sum(key in known for key in keys) for kind, known in candidates.items()}
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    if best * 2 > len(keys) and len(winners) == 1:
        return winners[0]
    if best == 0 and all(value.kind == "map" and (value.get("image") or value.get("config"))
                         for _, value in node.value):
        return "lithos-process"
    return None


def neighbour_sandbox(process_file: Path) -> Path | None:
    """``../sandboxes/<name>.yaml`` next to a ``processes/<name>.yaml``, if it exists."""
    candidate = process_file.parent.parent / "sandboxes" / process_file.name
    return candidate if candidate.is_file() else None


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")


def validate_path(path: Path | str, kind: str | None = None, *, sandbox: Path | None = None,
                  image_dir: Path | None = None, machine_id: Path | None = None,
                  run_scheduler: bool = True) -> list[Problem]:
    """Validate one file or directory; every problem (warnings included) is returned,
    ordered by file and line.

    Raises :class:`UsageError` when the kind is unknown or cannot be guessed,
    or the path does not exist.
    """
    path = Path(path)
    problems = _validate(path, kind, sandbox, image_dir, machine_id, run_scheduler)
    return _ordered(with_rule(problems, KIND_RULES[kind or guess_kind(path) or "vagga"]))


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))


def validate_text(text: str, kind: str, filename: str = STDIN_NAME, *,
                  sandbox: Path | None = None) -> list[Problem]:
    """Validate the text of one file of *kind* (not ``verwalter-tree``), named *filename*."""
    _check_kind(kind)
    if sandbox is not None and not sandbox.is_file():
        raise UsageError(f"{sandbox}: sandbox file not found")
    if kind == "verwalter-tree":
        raise UsageError(f"{filename}: a verwalter tree is a directory, not one text")
    if kind == "lithos-master":
        problems = lithos.validate_master(text, filename)
    elif kind == "lithos-sandbox":
        problems = lithos.validate_sandbox(text, filename)
    elif kind == "lithos-process":
        problems = lithos.validate_process(text, filename, sandbox=sandbox)
    elif kind == "lithos-container":
        problems = lithos.validate_container(text, filename, sandbox=sandbox)
    else:
        from .vagga import validate_vagga

        problems = validate_vagga(text, filename)
    return _ordered(with_rule(problems, KIND_RULES[kind]))


def _validate(path: Path, kind: str | None, sandbox: Path | None, image_dir: Path | None,
              machine_id: Path | None, run_scheduler: bool) -> list[Problem]:
    _check_kind(kind)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if sandbox is not None and not sandbox.is_file():
        raise UsageError(f"{sandbox}: sandbox file not found")
    kind = kind or guess_kind(path)
    if kind is None:
        raise UsageError(f"{path}: cannot guess what this is; pass --kind (one of "
                         f"{', '.join(KINDS)})")
    if kind == "verwalter-tree":
        if not path.is_dir():
            raise UsageError(f"{path}: a verwalter tree is a directory")
        from .verwalter.tree import validate_tree

        return validate_tree(path, machine_id=machine_id, run_scheduler=run_scheduler)
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, {kind} is a file")
    if kind == "lithos-master":
        return lithos.validate_master(path)
    if kind == "lithos-sandbox":
        return lithos.validate_sandbox(path)
    if kind == "lithos-process":
        return lithos.validate_process(path, sandbox=sandbox or neighbour_sandbox(path),
                                       image_dir=image_dir)
    if kind == "lithos-container":
        return lithos.validate_container(path, sandbox=sandbox)
    from .vagga import validate_vagga

    return validate_vagga(path)


TREE_PARTS = ("sandbox", "scheduler", "templates", "runtime")
"""The directories of a verwalter tree whose files stand for the tree."""


def enclosing_tree(path: Path) -> Path | None:
    """The verwalter tree a file belongs to, or None.

    >>> enclosing_tree(Path("no/such/tree/templates/x.hbs")) is None
    True
    """
    absolute = path.absolute()
    for parent in absolute.parents:
        part = absolute.relative_to(parent).parts[0]
        if part in TREE_PARTS and guess_kind(parent) == "verwalter-tree":
            return parent if path.is_absolute() else Path(os.path.relpath(parent))
    return None


def _is_tree(path: Path) -> bool:
    return guess_kind(path) == "verwalter-tree"


def _file_kind(path: Path, kind: str | None) -> str | None:
    """The kind of a file found in a directory: *kind* for YAML files when given,
    else guessed from the name, then from the content."""
    if path.suffix not in YAML_SUFFIXES:
        return None
    if kind is not None:
        return kind
    guessed = guess_kind(path)
    if guessed is not None:
        return guessed
    try:
        return kind_from_text(path.read_text())
    except (OSError, UnicodeDecodeError):
        return None


def validate_paths(paths: Iterable[str | Path], kind: str | None = None, *,
                   sandbox: Path | None = None, image_dir: Path | None = None,
                   machine_id: Path | None = None, run_scheduler: bool = True,
                   stdin_text: str | None = None, exclude: Iterable[str] = (),
                   ignore: Iterable[str] = (), skip_unknown: bool = False) -> list[Checked]:
    """Check every path an operator named: files, directories and ``-``.

    A directory that is a verwalter tree is checked as one; any other
    directory is walked (:func:`tools.walk.walk`: no symbolic link followed
    out of it, FIFOs and loops passed over with a note, ``.gitignore`` and
    the gitignore-style *exclude* patterns honoured), each file's kind told
    from its name or content (with *kind*, every YAML file in it is of that
    kind), and files of no known kind come back skipped. ``-`` is
    *stdin_text*, its kind *kind* or told from its content. Problems of a rule
    in *ignore*, or silenced by an inline comment naming their rule
    (:mod:`tools.suppress`), are left out.

    A named file inside a verwalter tree (its ``sandbox/``, ``scheduler/``,
    ``templates/`` or ``runtime/``) stands for the whole tree, checked once;
    so does every file a generator writes there.

    Raises :class:`UsageError` for a path that does not exist, a named file
    whose kind cannot be told (listed as skipped instead with *skip_unknown*,
    as a pre-commit hook handing over every changed file wants), or an unknown
    *kind*: the request is wrong, not the files.
    """
    _check_kind(kind)
    results: list[Checked] = []
    check = functools.partial(validate_path, sandbox=sandbox, image_dir=image_dir,
                              machine_id=machine_id, run_scheduler=run_scheduler)
    excluded = exclude_spec(exclude)
    trees_done: set[str] = set()
    for item in paths:
        if str(item) == STDIN:
            results.append(_check_stdin(stdin_text, kind, sandbox))
            continue
        path = Path(item)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
        if path.is_dir() and kind in (None, "verwalter-tree") and \
                (kind == "verwalter-tree" or guess_kind(path) == "verwalter-tree"):
            results.append(Checked(str(path), "verwalter-tree",
                                   check(path, "verwalter-tree")))
        elif path.is_dir():
            for found in walk(path, exclude=excluded, is_tree=_is_tree):
                results.append(_check_found(found, kind, check))
        elif (reason := special_file(path)) is not None or not path.exists():
            results.append(Checked(str(path), None, skipped=reason or "a broken symbolic link"))
        else:
            file_kind = kind or guess_kind(path)
            if file_kind is None and path.suffix in YAML_SUFFIXES:
                file_kind = _file_kind(path, None)
            tree = enclosing_tree(path) if file_kind is None else None
            if tree is not None:
                if str(tree) not in trees_done:
                    trees_done.add(str(tree))
                    results.append(Checked(str(tree), "verwalter-tree",
                                           check(tree, "verwalter-tree")))
            elif file_kind is None and skip_unknown:
                results.append(Checked(str(path), None, skipped="unknown kind"))
            else:
                results.append(Checked(str(path), file_kind, check(path, file_kind)))
    results = _with_cross_file(_without_borrowed(results))
    ignored = frozenset(ignore)
    for result in results:
        result.problems = without_silenced(result.problems, ignore=ignored,
                                           read=_reader(stdin_text))
    return results


def _with_cross_file(results: list[Checked]) -> list[Checked]:
    """Add what crosses the files of a lithos tree (:mod:`tools.lithos.tree`) to the
    outcome of the file each problem is in, once (a ``--sandbox`` check may have
    found it already)."""
    from .lithos.tree import cross_problems

    by_path = {os.path.normpath(r.path): r for r in results}
    for result in list(results):
        if result.kind != "lithos-process" or result.skipped is not None:
            continue
        for problem in cross_problems(Path(result.path)):
            owner = by_path.get(os.path.normpath(problem.file), result)
            if problem not in owner.problems:
                owner.problems.append(problem)
    for result in results:
        result.problems = _ordered(result.problems)
    return results


def _reader(stdin_text: str | None) -> Callable[[str], list[str]]:
    def read(name: str) -> list[str]:
        return (stdin_text or "").splitlines() if name == STDIN_NAME else file_lines(name)
    return read


def _check_found(found: Path | Passed, kind: str | None,
                 check: Callable[[Path, str], list[Problem]]) -> Checked:
    """The outcome for one thing a directory walk yielded."""
    if isinstance(found, Passed):
        return Checked(str(found.path), None, skipped=found.reason)
    if found.is_dir():
        return Checked(str(found), "verwalter-tree", check(found, "verwalter-tree"))
    found_kind = _file_kind(found, kind if kind != "verwalter-tree" else None)
    if found_kind is None:
        return Checked(str(found), None, skipped="unknown kind")
    return Checked(str(found), found_kind, check(found, found_kind))


def _without_borrowed(results: list[Checked]) -> list[Checked]:
    """Drop a problem one check found in another file this run checks on its own.

    A process or container config is cross-checked with its sandbox, and reports that
    sandbox's errors too; when the sandbox is itself among the checked files, its own
    check reports them once, under its own kind, and the copy would be a follow-on."""
    def key(name: str) -> str:
        return os.path.normpath(name)

    checked = {key(item.path) for item in results if item.kind is not None}
    for item in results:
        own = key(item.path)
        item.problems = [p for p in item.problems
                         if key(p.file) == own or key(p.file) not in checked]
    return results


def _check_stdin(text: str | None, kind: str | None, sandbox: Path | None) -> Checked:
    if text is None:
        raise UsageError("-: standard input is not available here")
    found = kind or kind_from_text(text)
    if found is None:
        raise UsageError(f"-: cannot tell what standard input holds; pass --kind (one of "
                         f"{', '.join(k for k in KINDS if k != 'verwalter-tree')})")
    return Checked(STDIN_NAME, found, validate_text(text, found, sandbox=sandbox))
