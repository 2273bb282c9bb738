"""apicache: run sphinx-autodoc2's analysis of the API packages only when they changed.

autodoc2 parses every module of its packages with astroid on ``builder-inited``, and renders
every API page again, on each build whose environment is new (a fresh output directory, a
changed setting). This extension records, next to the pages autodoc2 generated (in
``autodoc2_output_dir``), a stamp: a digest of what the pages are made from (the packages'
source files, every ``autodoc2_*`` setting, autodoc2's version), the analysis itself (the
item database the ``autodoc2-*`` directives read) and the names of the generated files.

When the next build finds a stamp whose digest is the current one and every file it names,
autodoc2's ``builder-inited`` listener is disconnected for that build and the environment
gets the recorded database instead: no module is parsed and no page is rewritten, so Sphinx
sees the pages unchanged. Any change to a source file or a setting changes the digest, and
autodoc2 runs as usual; a stamp is written only after a run that logged no warning, so a
warning from the analysis comes back on every build until it is fixed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

STAMP_NAME = ".apicache.json"
SOURCE_SUFFIXES = (".py", ".pyi")
# Before autodoc2's own builder-inited listener (priority 500), and after it.
EARLY, LATE = 400, 900


def _package_dirs(app: Sphinx) -> list[Path] | None:
    """The local paths of ``autodoc2_packages``; None when one is cloned from git."""
    paths = []
    for package in app.config.autodoc2_packages:
        if isinstance(package, dict):
            if package.get("from_git_clone"):
                return None
            package = package["path"]
        paths.append(Path(app.srcdir) / package)
    return paths


def _source_files(path: Path) -> Iterator[Path]:
    """Every module file under *path* (or *path* itself), in a stable order."""
    if path.is_file():
        yield path
        return
    for file in sorted(path.rglob("*")):
        if file.suffix in SOURCE_SUFFIXES and "__pycache__" not in file.parts and file.is_file():
            yield file


def _settings(config: Config) -> str:
    """Every ``autodoc2_*`` setting, as one stable text."""
    values = sorted((item.name, repr(item.value)) for item in config
                    if item.name.startswith("autodoc2_"))
    return repr(values)


def source_digest(app: Sphinx, packages: list[Path]) -> str:
    """The digest of everything autodoc2's output depends on."""
    import autodoc2

    hasher = hashlib.sha256(f"autodoc2 {autodoc2.__version__}\n".encode())
    hasher.update(_settings(app.config).encode())
    srcdir = Path(app.srcdir)
    for package in packages:
        for file in _source_files(package):
            hasher.update(f"\0{file.relative_to(srcdir).as_posix()}\0".encode())
            hasher.update(file.read_bytes())
    return hasher.hexdigest()


def _output_dir(app: Sphinx) -> Path:
    return Path(app.srcdir) / app.config.autodoc2_output_dir


def _generated_files(output: Path) -> list[str]:
    """The files autodoc2 wrote under *output*, relative to it, the stamp left out."""
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*")
                  if p.is_file() and p.name != STAMP_NAME)


def read_stamp(output: Path, digest: str) -> dict[str, Any] | None:
    """The stamp in *output* when it has *digest* and every file it names still exists."""
    try:
        stamp = json.loads((output / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("digest") != digest:
        return None
    files = stamp.get("files")
    if not isinstance(files, list) or not files:
        return None
    if not all((output / name).is_file() for name in files):
        return None
    return stamp


def write_stamp(output: Path, digest: str, database: Any) -> None:
    """Record *digest*, autodoc2's *database* and the generated files (atomically)."""
    from tools.fs import write_atomically

    stamp = {"digest": digest, "files": _generated_files(output),
             "items": database._items, "overloads": database._overloads}
    write_atomically(output / STAMP_NAME, json.dumps(stamp))


def _autodoc2_listener_ids(app: Sphinx) -> list[int]:
    from autodoc2.sphinx.extension import run_autodoc

    return [listener.id for listener in app.events.listeners.get("builder-inited", [])
            if listener.handler is run_autodoc]


def _decide(app: Sphinx, config: Config) -> None:
    """config-inited: skip autodoc2's run when the stamp matches, else get ready to stamp."""
    app.apicache_reuse = None  # type: ignore[attr-defined]
    app.apicache_digest = None  # type: ignore[attr-defined]
    packages = _package_dirs(app)
    if not packages:
        return
    digest = source_digest(app, packages)
    app.apicache_digest = digest  # type: ignore[attr-defined]
    stamp = read_stamp(_output_dir(app), digest)
    if stamp is None:
        return
    for listener_id in _autodoc2_listener_ids(app):
        app.disconnect(listener_id)
    app.apicache_reuse = stamp  # type: ignore[attr-defined]
    logger.info("[apicache] API sources unchanged: autodoc2's analysis and pages reused")


def _restore_database(app: Sphinx) -> None:
    """builder-inited, before autodoc2: give the environment the recorded analysis."""
    from autodoc2.db import InMemoryDb

    stamp = app.apicache_reuse  # type: ignore[attr-defined]
    app.apicache_warnings = app._warncount  # type: ignore[attr-defined]
    if stamp is None:
        return
    database = InMemoryDb()
    database._items = stamp["items"]
    database._overloads = stamp["overloads"]
    app.env.autodoc2_db = database  # type: ignore[attr-defined]
    # autodoc2's __all__ resolver holds the database it was made with: let it be made anew.
    if hasattr(app.env, "autodoc2_all_analyser"):
        del app.env.autodoc2_all_analyser  # type: ignore[attr-defined]


def _stamp_after_run(app: Sphinx) -> None:
    """builder-inited, after autodoc2: stamp its output when it ran and logged no warning."""
    from autodoc2.sphinx.utils import get_database

    digest = app.apicache_digest  # type: ignore[attr-defined]
    if app.apicache_reuse is not None or digest is None:  # type: ignore[attr-defined]
        return
    if app._warncount != app.apicache_warnings:  # type: ignore[attr-defined]
        return
    output = _output_dir(app)
    if output.is_dir():
        write_stamp(output, digest, get_database(app.env))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the listeners (load after ``autodoc2``)."""
    app.connect("config-inited", _decide)
    app.connect("builder-inited", _restore_database, priority=EARLY)
    app.connect("builder-inited", _stamp_after_run, priority=LATE)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
