"""One entry point for every config validator, with the kind guessed from the path.

Kinds: ``lithos-master``, ``lithos-sandbox``, ``lithos-process``,
``lithos-container``, ``vagga``, ``verwalter-tree``.

>>> guess_kind(Path("/etc/lithos/sandboxes/django.yaml"))
'lithos-sandbox'
>>> guess_kind(Path("lithos.master.yaml")), guess_kind(Path("project/vagga.yaml"))
('lithos-master', 'vagga')
>>> guess_kind(Path("notes.yaml")) is None
True
"""

from __future__ import annotations

from pathlib import Path

from tools.lithos import config as lithos
from tools.problems import Problem

KINDS = ("lithos-master", "lithos-sandbox", "lithos-process", "lithos-container", "vagga",
         "verwalter-tree")


class UsageError(ValueError):
    """The request itself is wrong: unknown kind, kind not guessable, missing path."""


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
    if parent == "config" and name.endswith((".yaml", ".yml")):
        return "lithos-container"
    return None


def neighbour_sandbox(process_file: Path) -> Path | None:
    """``../sandboxes/<name>.yaml`` next to a ``processes/<name>.yaml``, if it exists."""
    candidate = process_file.parent.parent / "sandboxes" / process_file.name
    return candidate if candidate.is_file() else None


def validate_path(path: Path | str, kind: str | None = None, *, sandbox: Path | None = None,
                  image_dir: Path | None = None, machine_id: Path | None = None,
                  run_scheduler: bool = True) -> list[Problem]:
    """Validate one file or directory; every problem (warnings included) is returned,
    ordered by file and line.

    Raises :class:`UsageError` when the kind is unknown or cannot be guessed,
    or the path does not exist.
    """
    problems = _validate(Path(path), kind, sandbox, image_dir, machine_id, run_scheduler)
    return sorted(problems, key=lambda p: (p.file, p.line))


def _validate(path: Path, kind: str | None, sandbox: Path | None, image_dir: Path | None,
              machine_id: Path | None, run_scheduler: bool) -> list[Problem]:
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
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
        from tools.verwalter.tree import validate_tree

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
    from tools.vagga import validate_vagga

    return validate_vagga(path)
