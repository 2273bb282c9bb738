"""Fixtures for the extension's tests: a copy of the test project, and builds of it.

Builds run in-process with ``sphinx.application.Sphinx`` into temp dirs.
``lab_spec`` is either the local transport double (always available) or the
real docker lab (``lab`` marker). When the docker lab cannot start, its tests
are skipped on a workstation and FAIL under ``CI=true``.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sphinx.application import Sphinx
from sphinx.util.console import nocolor
from sphinx.util.docutils import docutils_namespace, patch_docutils

from tests.helpers import docker_lab_session

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "tests" / "roots" / "test-lab"
LOCAL_SPEC = "tests.ext.local_lab:open_local_lab"
DOCKER_SPEC = "tests.ext.docker_lab:open_test_lab"

if str(REPO / "_ext") not in sys.path:
    sys.path.insert(0, str(REPO / "_ext"))

_recordings: list[list[list[str]]] = []
"""The lists of the active ``started_processes`` fixtures (the audit hook fills the last)."""


def _audit(event: str, args: tuple) -> None:
    if _recordings and event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.exec"):
        _recordings[-1].append([event, repr(args)[:200]])


sys.addaudithook(_audit)


@dataclass
class Build:
    """The outcome of one build of the test project."""

    app: Sphinx
    srcdir: Path
    outdir: Path
    warnings: str
    status: str

    @property
    def summary(self) -> str:
        """The ``N passed, N failed, N not run`` line the build wrote."""
        return (self.outdir / "deploydocs" / "summary.txt").read_text().strip()

    def html(self, page: str) -> str:
        """A written page."""
        return (self.outdir / f"{page}.html").read_text(encoding="utf-8")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/roots/test-lab``."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("_build", "_verified"))
    return src


def build(srcdir: Path, mode: str, lab: str = LOCAL_SPEC, *, strict: bool = False,
          out: str = "out", fresh: bool = False) -> Build:
    """Build *srcdir* in *mode*; the doctree cache is kept between calls unless *fresh*."""
    outdir = srcdir.parent / out / "html"
    doctrees = srcdir.parent / out / "doctrees"
    if fresh:
        shutil.rmtree(srcdir.parent / out, ignore_errors=True)
    status, warning = io.StringIO(), io.StringIO()
    os.environ["DEPLOYDOCS_REPO"] = str(REPO)
    nocolor()
    # As sphinx-build does: a clean docutils registry per build.
    with patch_docutils(srcdir), docutils_namespace():
        app = Sphinx(str(srcdir), str(srcdir), str(outdir), str(doctrees), "html",
                     confoverrides={"deploydocs_mode": mode, "deploydocs_lab": lab,
                                    "deploydocs_strict": strict},
                     status=status, warning=warning, freshenv=fresh)
        app.build()
    return Build(app, srcdir, outdir, warning.getvalue(), status.getvalue())


@pytest.fixture()
def local_lab_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scratch root of the local transport double."""
    root = tmp_path / "local-lab"
    root.mkdir()
    monkeypatch.setenv("DEPLOYDOCS_LOCAL_LAB_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def docker_lab() -> Iterator[object]:
    """The real docker lab (brought up once per session, taken down at the end)."""
    # "-t<pid>-what" marks a per-process test lab: `lab reap` removes it once we are gone.
    name = f"deploydocs.lab-t{os.getpid()}-ext"
    os.environ["DEPLOYDOCS_TEST_LAB_NAME"] = name

    def open_test_lab() -> Any:
        from tests.ext.docker_lab import open_test_lab

        return open_test_lab(progress=lambda line: None)

    try:
        with docker_lab_session(open_test_lab, name, skip_unless_ci=True) as lab:
            yield lab
    finally:
        del os.environ["DEPLOYDOCS_TEST_LAB_NAME"]


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.lab)])
def lab_spec(request: pytest.FixtureRequest, local_lab_root: Path) -> str:
    """Run the test on the local transport double and on the real docker lab."""
    if request.param == "docker":
        request.getfixturevalue("docker_lab")
        return DOCKER_SPEC
    return LOCAL_SPEC


@pytest.fixture()
def started_processes() -> Iterator[list[list[str]]]:
    """Every process started while the fixture is active."""
    started: list[list[str]] = []
    _recordings.append(started)
    yield started  # pytest runs what follows even when the test fails
    _recordings.remove(started)
