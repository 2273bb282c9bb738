"""Write generated files safely: never clobber an edited file, never leave half a file.

Every generator of the tutorial (``lithos generate``, ``vagga write``,
``verwalter scaffold``) computes its files as ``{relative path: text}`` and
hands them to this module, which compares them with what is on disk first:

* a file that does not exist yet is **new**;
* a file holding exactly the generated text is **unchanged** (left untouched);
* a file holding anything else is **changed**, and is only overwritten when
  the caller says so (``force=True``, the commands' ``--force``): it may hold
  someone's edits.

Writing goes through a temp file in the target's directory that is renamed
over the target, so a reader sees the old file or the new one, never a mix.
All temp files are written before the first rename; a failure while writing
them removes them again and leaves every target as it was.

>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> [f.status for f in plan_files(out, {"a.yaml": "a: 1\\n"})]
['new']
>>> [f.name for f in write_generated(out, {"a.yaml": "a: 1\\n"})]
['a.yaml']
>>> (out / "a.yaml").write_text("a: 2\\n")
5
>>> write_generated(out, {"a.yaml": "a: 1\\n"})
Traceback (most recent call last):
...
tools.generated.OverwriteRefused: refusing to overwrite 1 file whose content differs ...
>>> print(unified_diff(plan_files(out, {"a.yaml": "a: 1\\n"})), end="")
--- .../a.yaml
+++ .../a.yaml (generated)
@@ -1 +1 @@
-a: 2
+a: 1
>>> import shutil; shutil.rmtree(out)
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .fs import stage

Status = Literal["new", "changed", "unchanged"]
"""What writing a generated file would do to the file on disk."""

#: Mode of every file written here (generated configs are world-readable).
FILE_MODE = 0o644


class GeneratedFileError(Exception):
    """A generated file cannot be compared or written (a directory in its way...)."""


class OverwriteRefused(GeneratedFileError):
    """Some existing files differ from the generated text and ``force`` was not given."""

    def __init__(self, files: list[GeneratedFile]) -> None:
        self.files = files
        """The files that differ, in the order they were generated."""
        count = len(files)
        noun = "file whose content differs" if count == 1 else "files whose content differs"
        super().__init__(
            f"refusing to overwrite {count} {noun} from what would be generated "
            f"(edited by hand, or generated with other options): "
            f"{', '.join(str(f.path) for f in files)}; "
            "see the changes with --diff, overwrite them with --force")


@dataclass(frozen=True)
class GeneratedFile:
    """One generated file next to what its target holds now."""

    name: str
    """The path relative to the output directory, as the generator named it."""
    path: Path
    """Where it goes."""
    text: str
    """The generated content."""
    current: bytes | None
    """The target's current content, ``None`` when it does not exist."""

    @property
    def status(self) -> Status:
        """``new``, ``changed`` or ``unchanged``."""
        if self.current is None:
            return "new"
        return "unchanged" if self.current == self.text.encode() else "changed"

    def diff(self) -> str:
        """A unified diff from the current content to the generated one ("" if unchanged)."""
        if self.status == "unchanged":
            return ""
        old = [] if self.current is None else \
            self.current.decode("utf-8", "replace").splitlines(keepends=True)
        new = self.text.splitlines(keepends=True)
        fromfile = "/dev/null" if self.current is None else str(self.path)
        lines = list(difflib.unified_diff(old, new, fromfile=fromfile,
                                          tofile=f"{self.path} (generated)"))
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise GeneratedFileError(f"{path}: is a directory, not a file") from exc
    except NotADirectoryError as exc:
        raise GeneratedFileError(f"{path}: a parent of it is a file, not a directory") from exc
    except OSError as exc:
        raise GeneratedFileError(f"{path}: cannot read it: {exc.strerror}") from exc


def plan_files(out: Path, files: Mapping[str, str]) -> list[GeneratedFile]:
    """Compare each of *files* (relative to *out*) with what is on disk; write nothing.

    Raises :class:`GeneratedFileError` when a target cannot be read (it is a
    directory, say).
    """
    planned = []
    for name, text in files.items():
        path = out / name
        planned.append(GeneratedFile(name=name, path=path, text=text, current=_read(path)))
    return planned


def unified_diff(planned: Iterable[GeneratedFile]) -> str:
    """The diffs of every new or changed file, one after the other."""
    return "".join(f.diff() for f in planned)


def would_change(planned: Iterable[GeneratedFile]) -> bool:
    """Whether writing *planned* would create or change any file."""
    return any(f.status != "unchanged" for f in planned)


def refused(planned: Iterable[GeneratedFile], force: bool = False) -> list[GeneratedFile]:
    """The files writing would refuse to overwrite: the changed ones, unless *force*."""
    return [] if force else [f for f in planned if f.status == "changed"]


def atomic_write(targets: Iterable[tuple[Path, str]]) -> list[Path]:
    """Write each ``(path, text)``: all to temp files first, then rename each into place.

    Parent directories are created. When writing a temp file fails, every temp
    file is removed again and no target has changed; the error propagates
    (an :class:`OSError` names the target it was writing).
    """
    staged: list[tuple[Path, Path]] = []
    target: Path | None = None
    try:
        for target, text in targets:
            staged.append((stage(target, text, FILE_MODE, sync=True,
                                 prefix=f".tmp.{target.name}."), target))
    except BaseException as exc:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None and target is not None:
            # say which file could not be written
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise
    for temp, target in staged:
        os.replace(temp, target)
    return [target for _, target in staged]


def write_planned(planned: list[GeneratedFile], force: bool = False) -> list[GeneratedFile]:
    """Write the new and changed files of *planned*; return the ones written.

    Unchanged files are not touched. Without *force*, a changed file stops the
    whole write before anything is written (:class:`OverwriteRefused`).
    """
    refusing = refused(planned, force)
    if refusing:
        raise OverwriteRefused(refusing)
    todo = [f for f in planned if f.status != "unchanged"]
    try:
        atomic_write((f.path, f.text) for f in todo)
    except OSError as exc:
        raise GeneratedFileError(f"{exc.filename}: cannot write it: {exc.strerror or exc}"
                                 ) from exc
    return todo


def write_generated(out: Path, files: Mapping[str, str], force: bool = False
                    ) -> list[GeneratedFile]:
    """Compare *files* with what is under *out*, then write the new and changed ones.

    The shortcut for :func:`plan_files` followed by :func:`write_planned`.
    """
    return write_planned(plan_files(out, files), force)


@dataclass
class Outcome:
    """What :func:`run` did or would do, ready for a command to print."""

    files: list[GeneratedFile]
    """Every generated file, compared with the disk before anything was written."""
    exit_code: int
    """0 done (or would be done), 1 would change something (``diff``) or refused, 2 failed."""
    output: list[str] = field(default_factory=list)
    """Lines for standard output: the paths, the diff, or the dry-run listing."""
    errors: list[str] = field(default_factory=list)
    """Lines for standard error."""
    written: list[GeneratedFile] = field(default_factory=list)
    """The files actually written (new or changed ones; never in ``diff`` or ``dry_run``)."""


def dry_run_lines(planned: list[GeneratedFile], force: bool = False) -> list[str]:
    """One line per file saying what writing would do, then a summary line.

    >>> item = GeneratedFile("a.yaml", Path("out/a.yaml"), "a: 1\\n", b"a: 2\\n")
    >>> for line in dry_run_lines([item]):
    ...     print(line)
    changed    out/a.yaml (differs: refused without --force)
    dry run: 0 new, 1 changed, 0 unchanged; nothing written
    """
    lines = []
    for item in planned:
        note = ""
        if item.status == "changed":
            note = " (differs: --force overwrites it)" if force else \
                " (differs: refused without --force)"
        lines.append(f"{item.status:<10} {item.path}{note}")
    counts = {status: sum(f.status == status for f in planned)
              for status in ("new", "changed", "unchanged")}
    lines.append(f"dry run: {counts['new']} new, {counts['changed']} changed, "
                 f"{counts['unchanged']} unchanged; nothing written")
    return lines


def run(out: Path, files: Mapping[str, str], *, force: bool = False, diff: bool = False,
        dry_run: bool = False) -> Outcome:
    """The generators' common behaviour, for one output directory.

    * default: write the new and changed files (changed ones only with *force*;
      otherwise nothing is written and the exit code is 1); the output lists
      every generated file's path;
    * *diff*: the output is a unified diff of what writing would change;
      nothing is written; exit code 1 when something would change, else 0;
    * *dry_run*: the output says, per file, whether it is new, changed or
      unchanged; nothing is written; exit code 1 when the real run would
      refuse, else 0.

    A target that cannot be read or written gives exit code 2 and an error line.
    """
    if diff and dry_run:
        raise ValueError("diff and dry_run exclude each other")
    try:
        planned = plan_files(out, files)
    except GeneratedFileError as exc:
        return Outcome([], 2, errors=[f"error: {exc}"])
    if diff:
        text = unified_diff(planned)
        return Outcome(planned, 1 if would_change(planned) else 0,
                       output=text.splitlines())
    if dry_run:
        return Outcome(planned, 1 if refused(planned, force) else 0,
                       output=dry_run_lines(planned, force))
    try:
        written = write_planned(planned, force)
    except OverwriteRefused as exc:
        return Outcome(planned, 1, errors=[f"error: {exc}"])
    except GeneratedFileError as exc:
        return Outcome(planned, 2, errors=[f"error: {exc}"])
    return Outcome(planned, 0, output=[str(f.path) for f in planned], written=written)


__all__ = [
    "FILE_MODE",
    "GeneratedFile",
    "GeneratedFileError",
    "Outcome",
    "OverwriteRefused",
    "Status",
    "atomic_write",
    "dry_run_lines",
    "plan_files",
    "refused",
    "run",
    "unified_diff",
    "would_change",
    "write_generated",
    "write_planned",
]
