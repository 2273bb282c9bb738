"""The render-mode site builds warning-free and never executes a lab command."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

# What a render build must never start: a container, a remote shell, or a
# shell (a lab host's, or the build machine's standing in for one).
FORBIDDEN_PROGRAMS = {"docker", "ssh", "sh", "bash", "dash", "rsync", "qemu-system-x86_64"}

_recorded: list[list[str]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _recorded is None:
        return
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if isinstance(argv, (str, bytes)):
            argv = [os.fsdecode(argv)]
        _recorded.append([os.fsdecode(executable or argv[0]), *map(os.fsdecode, argv)])
    elif event in ("os.system",):
        _recorded.append(shlex.split(os.fsdecode(args[0])))
    elif event in ("os.exec", "os.posix_spawn", "os.spawn"):
        _recorded.append([os.fsdecode(args[0]), *map(os.fsdecode, args[1] or [])])


sys.addaudithook(_audit)


@pytest.fixture()
def process_log() -> Iterator[list[list[str]]]:
    """Record every process started while the fixture is active."""
    global _recorded
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None


def build_render(repo_root: Path, out: Path) -> int:
    """Build the site in render mode with warnings as errors; return the exit code."""
    os.environ["DEPLOYDOCS_MODE"] = "render"
    return build_main(
        ["-b", "html", "-W", "--keep-going", "-n", "-q", "-E", "-d",
         str(out / "doctrees"), str(repo_root), str(out / "html")]
    )


@pytest.fixture(scope="module")
def rendered_build(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One render-mode build shared by the page assertions, run as ``make html`` runs it (a
    ``sphinx-build`` process, not quiet): the built site, and everything it printed on
    stdout and stderr, its jupyter kernels' output included."""
    out = tmp_path_factory.mktemp("site")
    return out / "html", sphinx_build(repo_root, out, "-E")


def sphinx_build(src: Path, out: Path, *options: str) -> str:
    """Build *src* into *out* (``html``, ``doctrees``) in render mode in a ``sphinx-build``
    process, with warnings as errors and *options*; return what it printed."""
    env = {**os.environ, "DEPLOYDOCS_MODE": "render"}
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", *options,
         "-d", str(out / "doctrees"), str(src), str(out / "html")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert done.returncode == 0, f"render build failed (warnings are errors):\n{done.stdout}"
    return done.stdout


def copy_sources(repo_root: Path, dest: Path) -> Path:
    """A copy of the site's sources (generated API pages and their stamp included), for
    builds that must not touch the checkout."""
    ignore = shutil.ignore_patterns(".git", ".venv", "_build", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis")
    shutil.copytree(repo_root, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def parallel_build(repo_root: Path, rendered_build: tuple[Path, str],
                   tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A render build with two processes (``-j 2``, as ``make html``'s ``-j auto`` on two
    cores) of a copy of the sources, made after the shared build left the checkout's API
    pages current: the copy, the output directory and the build's log."""
    src = copy_sources(repo_root, tmp_path_factory.mktemp("parallel") / "src")
    out = src.parent / "out"
    return src, out, sphinx_build(src, out, "-j", "2")


@pytest.fixture(scope="module")
def rendered_site(rendered_build: tuple[Path, str]) -> Path:
    """The site of the shared render build."""
    return rendered_build[0]


def test_a_render_build_prints_no_warning_of_any_origin(rendered_build: tuple[Path, str]) -> None:
    """Sphinx's own warnings fail the build (-W); this also catches what other programs
    print into its log, such as a jupyter kernel's start-up warnings."""
    log = rendered_build[1]
    assert "build succeeded" in log
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert warnings == []


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("index.html", "Deploying Django with vagga, lithos, cantal and verwalter"),
        ("tutorial/index.html", "Tutorial"),
        ("tutorial/what-you-build.html", "What you will build"),
        ("concepts/index.html", "Concepts"),
        ("howto/index.html", "How-to"),
        ("reference/index.html", "Reference"),
        ("reference/cli.html", "Command-line interface"),
        ("reference/verification.html", "Verification report"),
    ],
)
def test_render_build_has_page_with_title(rendered_site: Path, page: str, title: str) -> None:
    html = (rendered_site / page).read_text(encoding="utf-8")
    assert f"<h1>{title}" in html


def test_api_reference_documents_tools(rendered_site: Path) -> None:
    html = (rendered_site / "reference/api/tools/tools.machine_id.html").read_text()
    assert "generate_machine_id" in html


def test_jupyter_cell_executed_at_build_time(rendered_site: Path) -> None:
    html = (rendered_site / "tutorial/what-you-build.html").read_text()
    assert "32 True" in html


def test_render_mode_starts_no_lab_process(
    repo_root: Path, tmp_path: Path, process_log: list[list[str]]
) -> None:
    assert build_render(repo_root, tmp_path) == 0
    offenders = [
        argv for argv in process_log
        if Path(argv[0]).name in FORBIDDEN_PROGRAMS
        or any(Path(a).name in FORBIDDEN_PROGRAMS for a in argv[1:2])
    ]
    assert offenders == [], f"render mode started lab processes: {offenders}"
    # The audit hook really sees process creation: the jupyter kernel is one.
    assert any("ipykernel" in " ".join(argv) for argv in process_log)


def _html_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


def _page_text(page: Path) -> str:
    """The words of a page's main content, markup left out."""
    html = page.read_text(encoding="utf-8")
    body = html[html.index('role="main"'):html.index("<footer")]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_make_html_builds_in_parallel(repo_root: Path) -> None:
    recipe = (repo_root / "Makefile").read_text().split("\nhtml:", 1)[1].split("\n\n", 1)[0]
    assert "sphinx-build -b html -j auto" in recipe


def test_parallel_build_warns_of_nothing(parallel_build: tuple[Path, Path, str]) -> None:
    """Every extension declares itself parallel-safe: Sphinx would warn otherwise (-W)."""
    log = parallel_build[2]
    assert "build succeeded" in log
    assert [line for line in log.splitlines() if "WARNING" in line] == []


def test_parallel_build_gives_the_serial_builds_pages(
    rendered_site: Path, parallel_build: tuple[Path, Path, str]
) -> None:
    parallel_site = parallel_build[1] / "html"
    assert _html_files(parallel_site) == _html_files(rendered_site)
    for page in ("tutorial/what-you-build.html", "tutorial/lithos.html",
                 "reference/api/tools/tools.machine_id.html"):
        assert _page_text(parallel_site / page) == _page_text(rendered_site / page), page


def test_unchanged_api_sources_are_not_analysed_again(
    parallel_build: tuple[Path, Path, str]
) -> None:
    """The copy holds the checkout's generated API pages and their stamp: its build, in a
    fresh output directory, reuses them and still has the API pages."""
    _src, out, log = parallel_build
    assert "[apicache] API sources unchanged" in log
    assert "[Autodoc2] Analysing package" not in log
    assert "generate_machine_id" in (out / "html/reference/api/tools/tools.machine_id.html"
                                     ).read_text(encoding="utf-8")


def test_a_changed_api_module_is_analysed_again(
    parallel_build: tuple[Path, Path, str]
) -> None:
    """A function added to a module of the copy's tools/ reaches its API page on the next
    build (built incrementally, in a copy of the parallel build's output)."""
    src, out, _log = parallel_build
    again = out.parent / "out-changed"
    shutil.copytree(out, again)
    module = src / "tools" / "machine_id.py"
    module.write_text(module.read_text(encoding="utf-8") + (
        "\n\ndef apicache_probe() -> int:\n"
        '    """A function only this test adds."""\n'
        "    return 1\n"), encoding="utf-8")
    log = sphinx_build(src, again, "-j", "2")
    assert "[Autodoc2] Analysing package" in log
    page = again / "html/reference/api/tools/tools.machine_id.html"
    assert "apicache_probe" in page.read_text(encoding="utf-8")
    rebuilt = sphinx_build(src, again, "-j", "2")
    assert "[apicache] API sources unchanged" in rebuilt
