"""The version hash vagga 0.8.1 gives a container, computed without vagga.

vagga names every build of a container ``<container>.<hash8>``, where
``<hash8>`` is the start of the container's *version hash* (what
``vagga _version_hash [--short] <container>`` prints). This module computes
that hash the way vagga 0.8.1 does, from the ``vagga.yaml`` and the files
its setup steps read, so that an image built by another route (the image
build stand-in of :mod:`tools.images`) can carry the name vagga would give it.

How vagga computes it (read from vagga 0.8.1's sources, written here in our
own words; ``src/version/version.rs``, ``src/digest.rs`` and each step's
``hash`` in ``src/builder/commands/``):

* One BLAKE2b stream (64-byte output, no key) is fed, in this order: the
  container's ``uids`` ranges, its ``gids`` ranges, then for every setup
  step the marker ``COMMAND\\0<StepName>\\0`` followed by the step's own
  fields, and finally ``data_dirs`` when the container has any. The long
  hash is the lowercase hex of the 64 bytes (128 digits); ``--short`` is
  its first 8 digits.
* A field is ``<key>\\0<value>\\0`` (numbers in decimal, booleans as
  ``true``/``false``, paths as their bytes); a list is ``<key>\\0`` and
  then ``<item>\\0`` per item; a uid/gid range ``a-b`` (or a single ``a``)
  is written ``<a>-<b+1>``. A container without ``uids``/``gids`` gets the
  default range ``0-65535``. A field vagga treats as optional is left out
  entirely when unset.
* ``!Container <name>`` feeds the *steps* of the named container (not its
  uids, gids or data dirs) in place, each with its own ``COMMAND`` marker.
* ``!Py3Requirements <file>`` feeds one ``line`` field per requirement
  line (trimmed; empty lines and ``#`` comments skipped), following
  ``-r``/``-c`` includes (relative to the including file's directory).
* ``!Copy`` from below ``/work`` walks the source: the source itself, then
  every entry below it in path order (compared component by component),
  leaving out entries matching ``ignore-regex`` with everything below them
  (by default ``.git``, ``.hg``, ``.svn``, ``.vagga``, ``*~``, ``*.bak``,
  ``*.orig`` and ``#*#``; ``__pycache__`` is *not* ignored). For each entry it
  feeds ``filename`` (its path as seen in the container, ``/work/...``),
  ``mode`` (the mode the copy will get: ``0o777`` or ``0o666`` minus
  ``umask``, the executable bit taken from the owner's; left out for
  symlinks), ``uid``, ``gid``, then the raw bytes of a regular file or a
  ``symlink`` field with a link's target. Then ``path`` (the
  destination). Modification times are not hashed.

Steps this module does not know raise :class:`UnsupportedStep` naming the
step, rather than giving a hash vagga would not give.

>>> d = Digest()
>>> d.command("EnsureDir")
>>> d.path("path", "/app")
>>> bytes(d.data)
b'COMMAND\\x00EnsureDir\\x00path\\x00/app\\x00'
>>> len(d.hexdigest()), d.hexdigest() == __import__("hashlib").blake2b(bytes(d.data)).hexdigest()
(128, True)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

#: The vagga release whose algorithm this module follows.
VAGGA_VERSION = "0.8.1"

#: Where the project directory appears inside vagga's build namespace.
WORK = "/work"

#: ``!Copy``'s default ``ignore-regex`` in vagga 0.8.1, with Rust's end-of-text
#: ``$`` written ``\\Z`` (Python's ``$`` would also match before a final newline).
DEFAULT_IGNORE_REGEX = r"(^|/)\.(git|hg|svn|vagga)(\Z|/)|~\Z|\.bak\Z|\.orig\Z|^#.*#\Z"

#: The uid/gid range vagga gives a container that lists none: 0 to 65535.
DEFAULT_ID_RANGE = (0, 65535)

#: Characters Rust's ``str::trim`` removes (Unicode White_Space).
_RUST_WHITESPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

#: Prefixes of a requirements line that includes another file (vagga's list).
_INCLUDE_PREFIXES = ("-r", "--requirement ", "--requirement=",
                     "-c", "--constraint ", "--constraint=")

#: Maps a file's ``(uid, gid)`` on this machine to what vagga sees in its namespace.
IdMap = Callable[[int, int], tuple[int, int]]


class VersionHashError(ValueError):
    """The version hash cannot be computed (bad config, unreadable file...)."""


class UnsupportedStep(VersionHashError):
    """A setup step whose hashing this module does not implement."""

    def __init__(self, container: str, step: str, line: int = 0) -> None:
        self.container = container
        self.step = step
        where = f" (vagga.yaml line {line})" if line else ""
        super().__init__(
            f"container {container!r}: build step !{step}{where} is not supported by "
            f"tools.vagga_hash (it knows {', '.join('!' + s for s in SUPPORTED_STEPS)}); "
            f"run `vagga _version_hash {container}` instead")


class NotVersionable(VersionHashError):
    """vagga cannot version the container before building it (it exits 29).

    This happens when a ``!Copy`` source below ``/work`` does not exist yet.
    """


# --------------------------------------------------------------------------- the stream


class Digest:
    """The byte stream vagga hashes, with vagga's field encodings.

    ``data`` keeps a copy of every byte fed (what ``vagga _version_hash
    --dump-version-data`` prints), for tests and debugging.
    """

    def __init__(self) -> None:
        self._hash = hashlib.blake2b(digest_size=64)
        self.data = bytearray()

    def raw(self, chunk: bytes) -> None:
        """Feed bytes as they are (file contents)."""
        self._hash.update(chunk)
        self.data += chunk

    def command(self, name: str) -> None:
        """The marker that starts a setup step: ``COMMAND\\0<name>\\0``."""
        self.raw(b"COMMAND\0" + name.encode() + b"\0")

    def field(self, key: str, value: str | int | bool) -> None:
        """A scalar field: ``<key>\\0<value>\\0`` (booleans as ``true``/``false``)."""
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        self.raw(key.encode() + b"\0" + text.encode() + b"\0")

    def path(self, key: str, value: str | bytes) -> None:
        """A path field: ``<key>\\0<path bytes>\\0``."""
        data = value if isinstance(value, bytes) else os.fsencode(value)
        self.raw(key.encode() + b"\0" + data + b"\0")

    def strings(self, key: str, values: Iterable[str]) -> None:
        """A list of strings: ``<key>\\0`` then ``<item>\\0`` per item."""
        self.raw(key.encode() + b"\0" + b"".join(v.encode() + b"\0" for v in values))

    def ranges(self, key: str, values: Iterable[tuple[int, int]]) -> None:
        """A list of inclusive id ranges ``(a, b)``, each written ``a-(b+1)``."""
        self.raw(key.encode() + b"\0"
                 + b"".join(f"{a}-{b + 1}".encode() + b"\0" for a, b in values))

    def hexdigest(self) -> str:
        """The 128 lowercase hex digits of the BLAKE2b-512 digest."""
        return self._hash.hexdigest()


# --------------------------------------------------------------------------- helpers


def parse_id_range(text: str | int) -> tuple[int, int]:
    """An entry of ``uids``/``gids`` (``"1000"`` or ``"0-65535"``) as ``(first, last)``.

    >>> parse_id_range("0-65535"), parse_id_range("1000"), parse_id_range(7)
    ((0, 65535), (1000, 1000), (7, 7))
    """
    text = str(text)
    number = r"\+?[0-9]+"
    if re.fullmatch(number, text):
        first = last = int(text)
    else:
        parts = text.split("-", 1)
        if len(parts) != 2 or not all(re.fullmatch(number, p) for p in parts):
            raise VersionHashError(f"not a uid/gid range: {text!r}")
        first, last = int(parts[0]), int(parts[1])
    if last < first or last >= 2**32 - 1:
        raise VersionHashError(f"bad uid/gid range: {text!r}")
    return first, last


def vagga_ids(uid: int, gid: int) -> tuple[int, int]:
    """The owner vagga sees for a file owned by ``uid:gid`` on this machine.

    Run as root, vagga maps ids one to one. Run as another user, it maps
    that user's uid and gid to 0 and the user's subordinate ids (from
    ``/etc/subuid``) to themselves, which is what this assumes.
    """
    if os.geteuid() == 0:
        return uid, gid
    return (0 if uid == os.geteuid() else uid), (0 if gid == os.getegid() else gid)


def _trim(text: str) -> str:
    return text.strip(_RUST_WHITESPACE)


def _join(base: str, rel: str) -> str:
    """Join like Rust's ``Path::join`` for a relative ``rel``."""
    if not rel or not base:
        return rel or base
    return base + rel if base.endswith("/") else f"{base}/{rel}"


def _under_work(path: str) -> bool:
    """Whether ``path`` starts with the component ``/work`` (as Rust's ``starts_with``)."""
    return PurePosixPath(path).parts[:2] == ("/", "work")


def _host_path(project: Path, inside: str) -> Path:
    """The file on this machine behind a path under ``/work`` in vagga's namespace."""
    if not _under_work(inside):
        raise VersionHashError(f"{inside!r} is outside {WORK}: only vagga can read it")
    rel = PurePosixPath(inside).parts[2:]
    return project.joinpath(*rel)


def _component_key(rel: str) -> tuple[bytes, ...]:
    """Sort key giving the order of Rust's ``PathBuf`` (component by component)."""
    return tuple(os.fsencode(part) for part in rel.split("/"))


# --------------------------------------------------------------------------- steps


class _Hasher:
    """Feeds the steps of one vagga.yaml's containers into a :class:`Digest`."""

    def __init__(self, project: Path, containers: dict[str, Any], ids: IdMap) -> None:
        self.project = project
        self.containers = containers
        self.ids = ids
        self._stack: list[str] = []

    def container(self, name: str, digest: Digest) -> None:
        """Everything vagga feeds for container ``name`` (the long hash's input)."""
        container = self._get(name)
        uids = [parse_id_range(u) for u in container.get("uids") or []] or [DEFAULT_ID_RANGE]
        gids = [parse_id_range(g) for g in container.get("gids") or []] or [DEFAULT_ID_RANGE]
        digest.ranges("uids", uids)
        digest.ranges("gids", gids)
        self.steps(name, digest)
        data_dirs = container.get("data-dirs") or []
        if data_dirs:
            digest.raw(b"data_dirs\0" + b"".join(os.fsencode(d) + b"\0" for d in data_dirs))

    def _get(self, name: str) -> Any:
        if name not in self.containers:
            raise VersionHashError(f"container {name!r} not found")
        return self.containers[name]

    def steps(self, name: str, digest: Digest) -> None:
        """The setup steps of container ``name``, each behind its ``COMMAND`` marker."""
        if name in self._stack:
            raise VersionHashError("cyclic !Container: " + " -> ".join([*self._stack, name]))
        self._stack.append(name)
        try:
            for step in self._get(name)["setup"]:
                self.step(name, step.tag, step.value, digest, getattr(step, "line", 0))
        finally:
            self._stack.pop()

    def step(self, container: str, tag: str, value: Any, digest: Digest, line: int = 0
             ) -> None:
        """One setup step ``!<tag> <value>`` of ``container``."""
        handler = _STEP_HANDLERS.get(tag)
        if handler is None:
            raise UnsupportedStep(container, tag, line)
        digest.command(tag)
        handler(self, container, value, digest)

    # --- the steps

    def ubuntu(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Ubuntu <codename>``: only the codename."""
        digest.field("codename", value)

    def py3_requirements(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Py3Requirements <file>``: every requirement line, includes followed."""
        self._requirements(value or "requirements.txt", digest, set())

    def _requirements(self, name: str, digest: Digest, seen: set[str]) -> None:
        inside = name if name.startswith("/") else _join(WORK, name)
        try:
            real = str(_host_path(self.project, inside).resolve(strict=True))
            data = Path(real).read_bytes()
        except OSError as exc:
            raise VersionHashError(f"{name}: {exc.strerror or exc}") from exc
        if real in seen:
            raise VersionHashError(f"cyclic requirement: {real}")
        seen.add(real)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VersionHashError(f"{name}: not UTF-8 ({exc})") from exc
        parent = str(PurePosixPath(name).parent) if "/" in name else ""
        for raw_line in text.split("\n"):
            chunk = _trim(raw_line)
            if not chunk or chunk.startswith("#"):
                continue
            include = next((chunk[len(p):] for p in _INCLUDE_PREFIXES if chunk.startswith(p)),
                           None)
            if include is not None:
                target = _trim(include)
                nested = target if target.startswith("/") else _join(parent, target)
                self._requirements(nested, digest, seen)
                continue
            digest.field("line", chunk)

    def container_step(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Container <name>``: the named container's steps, in place."""
        self.steps(value, digest)

    def one_path(self, _container: str, value: Any, digest: Digest) -> None:
        """``!EnsureDir``/``!EmptyDir``/``!Remove``: the path."""
        digest.path("path", value)

    def packages(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Install``/``!BuildDeps``: the package list."""
        digest.strings("packages", value)

    def sh(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Sh``: the script text."""
        digest.field("script", value)

    def cmd(self, _container: str, value: Any, digest: Digest) -> None:
        """``!Cmd``: the command line."""
        digest.strings("command-line", value)

    def nothing(self, _container: str, _value: Any, _digest: Digest) -> None:
        """``!UbuntuUniverse``: no fields."""

    def copy(self, container: str, value: Any, digest: Digest) -> None:
        """``!Copy``: the walked files when the source is under /work, else the options."""
        source: str = value["source"]
        dest: str = value["path"]
        umask = value.get("umask")
        umask = 0o002 if umask is None else int(umask)
        preserve = bool(value.get("preserve-permissions"))
        owner_uid, owner_gid = value.get("owner-uid"), value.get("owner-gid")
        if _under_work(source):
            keep = _copy_filter(container, value)
            for inside, host, st in self._walk(source, keep):
                digest.path("filename", inside)
                mode = _copy_mode(st, umask, preserve)
                if mode is not None:
                    digest.field("mode", mode)
                uid, gid = self.ids(st.st_uid, st.st_gid)
                digest.field("uid", uid if owner_uid is None else owner_uid)
                digest.field("gid", gid if owner_gid is None else owner_gid)
                if stat.S_ISREG(st.st_mode):
                    try:
                        digest.raw(host.read_bytes())
                    except OSError as exc:
                        raise VersionHashError(f"{host}: {exc.strerror or exc}") from exc
                elif stat.S_ISLNK(st.st_mode):
                    digest.path("symlink", os.readlink(os.fsencode(host)))
            digest.path("path", dest)
        else:
            digest.path("source", source)
            digest.path("path", dest)
            digest.field("preserve_permissions", preserve)
            if not preserve:
                if owner_uid is not None:
                    digest.field("owner_uid", owner_uid)
                if owner_gid is not None:
                    digest.field("owner_gid", owner_gid)
                digest.field("umask", umask)
        if value.get("preserve-times"):
            digest.field("preserve_times", True)

    def _walk(self, source: str, keep: Callable[[str, bool], bool | None]
              ) -> list[tuple[str, Path, os.stat_result]]:
        """``(path in the container, path here, lstat)`` of every entry vagga hashes."""
        host = _host_path(self.project, source)
        try:
            top = host.lstat()
        except FileNotFoundError as exc:
            raise NotVersionable(f"!Copy source {source} does not exist yet: vagga cannot "
                                 "version this container before it is built") from exc
        except OSError as exc:
            raise VersionHashError(f"{host}: {exc.strerror or exc}") from exc
        entries = [(source, host, top)]
        if not stat.S_ISDIR(top.st_mode):
            return entries
        found: set[str] = set()
        for rel in _filtered_walk(host, keep):
            parts = rel.split("/")
            for depth in range(len(parts), 0, -1):
                found.add("/".join(parts[:depth]))
        for rel in sorted(found, key=_component_key):
            path = host.joinpath(*rel.split("/"))
            try:
                entries.append((_join(source, rel), path, path.lstat()))
            except OSError as exc:
                raise VersionHashError(f"{path}: {exc.strerror or exc}") from exc
        return entries


def _copy_mode(st: os.stat_result, umask: int, preserve: bool) -> int | None:
    """The mode ``!Copy`` gives an entry (None for a symlink, whose mode is not set)."""
    if stat.S_ISLNK(st.st_mode):
        return None
    if preserve:
        return st.st_mode & 0o7777
    if stat.S_ISDIR(st.st_mode) or st.st_mode & stat.S_IXUSR:
        return 0o777 & ~umask
    return 0o666 & ~umask


def _copy_filter(container: str, value: Any) -> Callable[[str, bool], bool | None]:
    """The ``!Copy`` entry filter: True keep, False drop with all below, None skip only.

    Only vagga's regex filters (``ignore-regex``/``include-regex``) are
    implemented; the glob ``rules`` raise :class:`UnsupportedStep`. The
    regexes are compiled with Python's :mod:`re`, which agrees with Rust's
    ``regex`` crate on the usual patterns.
    """
    rules = value.get("rules") or []
    ignore_text, include_text = value.get("ignore-regex"), value.get("include-regex")
    if (rules or value.get("no-default-rules") is not None) and (
            ignore_text is not None or include_text is not None):
        raise VersionHashError(f"container {container!r}: !Copy takes either rules or "
                               "regular expressions, not both")
    if rules:
        raise UnsupportedStep(container, "Copy with rules (glob filters)")
    try:
        ignore = re.compile(DEFAULT_IGNORE_REGEX if ignore_text is None else ignore_text)
        include = None if include_text is None else re.compile(include_text)
    except re.error as exc:
        raise VersionHashError(f"container {container!r}: bad !Copy regex: {exc}") from exc

    def keep(rel: str, _is_dir: bool) -> bool | None:
        if ignore.search(rel):
            return False
        if include is not None:
            return True if include.search(rel) else None
        return True

    return keep


def _filtered_walk(root: Path, keep: Callable[[str, bool], bool | None]) -> list[str]:
    """Relative paths (``/``-separated) below ``root`` that the filter keeps.

    Directories the filter drops are not entered; symlinks are not followed.
    """
    result: list[str] = []
    todo = [""]
    while todo:
        rel_dir = todo.pop()
        directory = root.joinpath(*rel_dir.split("/")) if rel_dir else root
        try:
            with os.scandir(directory) as listing:
                children = list(listing)
        except OSError as exc:
            raise VersionHashError(f"{directory}: {exc.strerror or exc}") from exc
        for entry in children:
            rel = _join(rel_dir, entry.name) if rel_dir else entry.name
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise VersionHashError(f"{directory / entry.name}: path is not UTF-8") from exc
            is_dir = entry.is_dir(follow_symlinks=False)
            verdict = keep(rel, is_dir)
            if verdict is False:
                continue
            if verdict:
                result.append(rel)
            if is_dir:
                todo.append(rel)
    return result


_STEP_HANDLERS: dict[str, Callable[[_Hasher, str, Any, Digest], None]] = {
    "Ubuntu": _Hasher.ubuntu,
    "UbuntuUniverse": _Hasher.nothing,
    "Install": _Hasher.packages,
    "BuildDeps": _Hasher.packages,
    "Py3Requirements": _Hasher.py3_requirements,
    "Sh": _Hasher.sh,
    "Cmd": _Hasher.cmd,
    "Container": _Hasher.container_step,
    "EnsureDir": _Hasher.one_path,
    "EmptyDir": _Hasher.one_path,
    "Remove": _Hasher.one_path,
    "Copy": _Hasher.copy,
}

#: The build steps this module can hash, as vagga spells them.
SUPPORTED_STEPS: tuple[str, ...] = tuple(_STEP_HANDLERS)


# --------------------------------------------------------------------------- public API


def load_containers(project_dir: Path) -> dict[str, Any]:
    """The checked ``containers`` of ``project_dir/vagga.yaml`` (tools.vagga's reader).

    Raises :class:`VersionHashError` listing the errors of an invalid file.
    """
    from .problems import errors
    from .vagga import parse_vagga

    path = Path(project_dir) / "vagga.yaml"
    if not path.is_file():
        raise VersionHashError(f"{path}: no vagga.yaml")
    record, problems = parse_vagga(path)
    bad = errors(problems)
    if record is None or bad:
        raise VersionHashError("invalid vagga.yaml:\n" + "\n".join(str(p) for p in bad))
    if record.get("mixins"):
        raise VersionHashError(f"{path}: mixins are not supported by tools.vagga_hash")
    return record["containers"]


def version_data(project_dir: Path, container: str, *, ids: IdMap = vagga_ids,
                 containers: dict[str, Any] | None = None) -> Digest:
    """The fed :class:`Digest` for ``container`` (its ``data`` is vagga's version data)."""
    project = Path(project_dir)
    if containers is None:
        containers = load_containers(project)
    digest = Digest()
    _Hasher(project, containers, ids).container(container, digest)
    return digest


def version_hash(project_dir: Path, container: str, *, short: bool = False,
                 ids: IdMap = vagga_ids, containers: dict[str, Any] | None = None) -> str:
    """What ``vagga _version_hash [--short] <container>`` prints in ``project_dir``.

    ``project_dir`` holds ``vagga.yaml`` (it is ``/work`` for vagga).
    ``containers`` may pass already-loaded containers (from
    :func:`tools.vagga.parse_vagga`); ``ids`` maps file owners as vagga
    sees them (:func:`vagga_ids`). Raises :class:`UnsupportedStep` for a
    step this module cannot hash, :class:`NotVersionable` where vagga would
    exit 29, and :class:`VersionHashError` for other problems.
    """
    full = version_data(project_dir, container, ids=ids, containers=containers).hexdigest()
    return full[:8] if short else full


def image_name(project_dir: Path, container: str, *, ids: IdMap = vagga_ids) -> str:
    """``<container>.<hash8>``: the name vagga gives the container's image."""
    return f"{container}.{version_hash(project_dir, container, short=True, ids=ids)}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.vagga_hash [--short] [--dir DIR] CONTAINER``, like vagga's command."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.vagga_hash",
        description=f"Print a container's version hash as vagga {VAGGA_VERSION}'s "
                    "`vagga _version_hash` would.")
    parser.add_argument("container")
    parser.add_argument("-s", "--short", action="store_true", help="only the first 8 digits")
    parser.add_argument("--dir", type=Path, default=Path("."),
                        help="the project directory (holding vagga.yaml); default: .")
    parser.add_argument("--dump-version-data", action="store_true",
                        help="write the hashed bytes to stdout instead")
    args = parser.parse_args(argv)
    try:
        if args.dump_version_data:
            sys.stdout.buffer.write(bytes(version_data(args.dir, args.container).data))
            return 0
        print(version_hash(args.dir, args.container, short=args.short))
    except NotVersionable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 29
    except VersionHashError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


__all__ = [
    "DEFAULT_IGNORE_REGEX",
    "SUPPORTED_STEPS",
    "VAGGA_VERSION",
    "Digest",
    "NotVersionable",
    "UnsupportedStep",
    "VersionHashError",
    "image_name",
    "load_containers",
    "main",
    "parse_id_range",
    "vagga_ids",
    "version_data",
    "version_hash",
]

if __name__ == "__main__":
    raise SystemExit(main())
