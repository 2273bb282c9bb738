"""What crosses the files of a lithos config tree, as ``validate DIR`` checks it.

A lithos tree is laid out as ``lithos generate`` writes it and as
``/etc/lithos`` holds it: ``master.yaml``, ``sandboxes/<name>.yaml``,
``processes/<name>.yaml`` (the processes of sandbox ``<name>``), and next to
them, when the image is built from the same project, the container configs
the process entries name (``config: /config/web.yaml`` is ``config/web.yaml``
under the tree's top).

Each file on its own can be valid while the tree is not: a process file whose
sandbox does not exist runs nothing (lithos_check -C refuses the tree), and a
container's user id or TCP port the sandbox does not allow stops it at
start. :func:`cross_problems` finds those without ``--sandbox``; and when the
sandbox's ``image-dir`` exists on this machine, what ``lithos_check -C`` finds in the
images there.
"""

from __future__ import annotations

from pathlib import Path

from ..problems import Problem
from ..quire import TOP
from .config import parse_process, parse_sandbox, validate_container, validate_process

CROSS_RULES = frozenset({"lithos-user", "lithos-port"})


def _image_dir_problems(process_file: Path, sandbox: Path) -> list[Problem]:
    """What ``lithos_check -C`` finds in the images the process file names, when the
    sandbox's ``image-dir`` is a directory of this machine (on a node, or a tree laid
    out for a check): the users and ports of their container configs."""
    model, _ = parse_sandbox(sandbox)
    if model is None or not Path(model.image_dir).is_dir():
        return []
    found = validate_process(process_file, sandbox=sandbox, image_dir=Path(model.image_dir))
    # only what lithos_check -C itself checks: a mount point missing from an image is
    # for lithos_knot to find at start, and validate --image-dir to report
    return [p for p in found if p.rule in CROSS_RULES]
"""The rules of a container's check against its sandbox that need the tree to be seen."""


def is_lithos_tree(top: Path) -> bool:
    """Whether *top* looks like a lithos config directory (sandboxes/ or master.yaml)."""
    return (top / "sandboxes").is_dir() or (top / "master.yaml").is_file()


def cross_problems(process_file: Path) -> list[Problem]:
    """The problems between a process file and the rest of its tree: its sandbox
    missing, or a container config it names (found in the tree) whose user, group
    or ports the sandbox does not allow. Empty outside a lithos tree."""
    top = process_file.parent.parent
    if process_file.parent.name != "processes" or not is_lithos_tree(top):
        return []
    sandbox = top / "sandboxes" / process_file.name
    if not sandbox.is_file():
        known = sorted(p.stem for p in (top / "sandboxes").glob("*.y*ml"))
        hint = f"; sandboxes here: {', '.join(known)}" if known else ""
        return [Problem(str(process_file), 1, TOP,
                        f"no sandbox {sandbox.relative_to(top)}: the processes of "
                        f"processes/{process_file.name} belong to a sandbox of that name, "
                        f"and lithos_check -C refuses the tree without it{hint}",
                        rule="lithos-no-sandbox")]
    problems = _image_dir_problems(process_file, sandbox)
    entries, _ = parse_process(process_file)
    for entry in entries or []:
        local = top / entry.config.lstrip("/")
        if not entry.config.startswith("/") or not local.is_file():
            continue
        problems += [p for p in validate_container(local, sandbox=sandbox,
                                                   variables=entry.variables)
                     if p.rule in CROSS_RULES]
    return problems
