"""Walking a directory for ``validate`` without leaving it, looping or hanging.

:func:`walk` yields what a directory holds for checking: regular files, and
verwalter trees whole (a tree's files are its own check's business). Whatever
it passes over for a reason an operator should know comes back as a
:class:`Passed` note instead:

* a symbolic link is never followed out of the tree; one to a directory is
  not followed at all (the directory, if it is in the tree, is walked where it
  is), so ``ln -s .. loop`` cannot loop;
* a directory reached twice (a bind mount) is walked once;
* a FIFO, socket or device is not opened (reading a FIFO would block);
* hidden entries are left out silently, and so are paths matched by a
  ``.gitignore`` (in the walked directory, below it, or above it up to the
  repository's top), a ``.deploydocs-ignore`` (same syntax) or an exclude
  pattern (gitignore syntax, relative to the walked directory).

Patterns are matched by :mod:`pathspec`, which implements git's own rules
(negation, anchoring, ``**``, directory-only patterns); hand-written fnmatch
gets those wrong in ways an operator only notices when a file is silently left
out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILES = (".gitignore", ".deploydocs-ignore")
"""Files of gitignore patterns honoured in every directory walked."""


@dataclass(frozen=True)
class Passed:
    """A path the walk did not yield, and why (printed as a skipped file)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class _Ignores:
    """The pattern files in force in one directory: (their directory, spec) pairs."""

    specs: tuple[tuple[Path, pathspec.PathSpec], ...]

    def matches(self, path: Path, is_dir: bool) -> bool:
        absolute = path.absolute()
        for base, spec in self.specs:
            try:
                relative = absolute.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(relative + "/" if is_dir else relative):
                return True
        return False

    def with_dir(self, directory: Path) -> _Ignores:
        added = tuple((directory.absolute(), spec) for spec in _specs_in(directory))
        return _Ignores(self.specs + added) if added else self


def _specs_in(directory: Path) -> list[pathspec.PathSpec]:
    specs: list[pathspec.PathSpec] = []
    for name in IGNORE_FILES:
        candidate = directory / name
        if candidate.is_file() and not candidate.is_symlink():
            try:
                lines = candidate.read_text(errors="replace").splitlines()
            except OSError:
                continue
            specs.append(pathspec.GitIgnoreSpec.from_lines(lines))
    return specs


def exclude_spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    """Exclude patterns (gitignore syntax) as one spec.

    >>> spec = exclude_spec(["build/", "*.tmp.yaml"])
    >>> spec.match_file("build/"), spec.match_file("a/x.tmp.yaml"), spec.match_file("a.yaml")
    (True, True, False)
    """
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def _repository_top(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _ancestor_ignores(root: Path) -> _Ignores:
    """The ignore files of *root*'s parents up to the repository's top (none outside
    a repository), then *root*'s own."""
    ignores = _Ignores(())
    top = _repository_top(root)
    if top is not None and top != root:
        chain = [parent for parent in root.parents if parent.is_relative_to(top)]
        for parent in reversed(chain):
            ignores = ignores.with_dir(parent)
    return ignores.with_dir(root)


def _special(mode: int) -> str | None:
    if stat.S_ISFIFO(mode):
        return "a FIFO, not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not read"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "a device, not read"
    return None


def special_file(path: Path) -> str | None:
    """Why *path* must not be opened (a FIFO, socket or device), or None."""
    try:
        return _special(path.stat().st_mode)
    except OSError:
        return None


def walk(root: Path, *, exclude: pathspec.PathSpec | None = None,
         is_tree: Callable[[Path], bool] = lambda path: False) -> Iterator[Path | Passed]:
    """The files under *root* (and the directories *is_tree* says are checked whole), in
    sorted order, each a :class:`~pathlib.Path`, with a :class:`Passed` for what was
    passed over for a reason worth saying."""
    seen: set[tuple[int, int]] = set()
    yield from _walk_dir(root, _Roots(root.absolute(), root.resolve()),
                         _ancestor_ignores(root.absolute()), exclude, is_tree, seen)


@dataclass(frozen=True)
class _Roots:
    """The walked directory as given (exclude patterns are relative to it) and resolved
    (symbolic links must stay inside it)."""

    given: Path
    real: Path


def _walk_dir(directory: Path, roots: _Roots, ignores: _Ignores,
              exclude: pathspec.PathSpec | None, is_tree: Callable[[Path], bool],
              seen: set[tuple[int, int]]) -> Iterator[Path | Passed]:
    try:
        info = directory.stat()
    except OSError as exc:
        yield Passed(directory, f"cannot be read: {exc.strerror}")
        return
    identity = (info.st_dev, info.st_ino)
    if identity in seen:
        yield Passed(directory, "reached a second time (a loop or a bind mount), walked once")
        return
    seen.add(identity)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        yield Passed(directory, f"cannot be listed: {exc.strerror}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_dir = False
        if ignores.matches(path, is_dir) or _excluded(exclude, path, roots.given, is_dir):
            continue
        if entry.is_symlink():
            passed = _symlink_note(path, roots.real, is_dir)
            if passed is not None:
                yield passed
                continue
        if is_dir:
            if is_tree(path):
                yield path
            else:
                yield from _walk_dir(path, roots, ignores.with_dir(path), exclude,
                                     is_tree, seen)
            continue
        try:
            mode = entry.stat(follow_symlinks=True).st_mode
        except OSError as exc:
            yield Passed(path, f"cannot be read: {exc.strerror}")
            continue
        reason = _special(mode)
        yield Passed(path, reason) if reason else path


def _excluded(exclude: pathspec.PathSpec | None, path: Path, base: Path,
              is_dir: bool) -> bool:
    if exclude is None:
        return False
    try:
        relative = path.absolute().relative_to(base).as_posix()
    except ValueError:
        relative = path.as_posix()
    return exclude.match_file(relative + "/" if is_dir else relative)


def _symlink_note(path: Path, real_root: Path, is_dir: bool) -> Passed | None:
    """Why a symbolic link is passed over; None for a link to a file inside the tree."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Passed(path, "a symbolic link that leads nowhere (broken or a loop)")
    if not target.is_relative_to(real_root):
        return Passed(path, f"a symbolic link out of the tree (to {target}), not followed")
    if is_dir:
        return Passed(path, "a symbolic link to a directory, not followed (the directory "
                            "is checked where it is)")
    return None
