"""The deploydocs-tools distribution, as an operator installs it: its metadata, and the
installed package working from a venv that has no checkout on its path."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
TOOLS_PYPROJECT = tomllib.loads((REPO / "tools" / "pyproject.toml").read_text())
DOCS_PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_distribution_has_its_own_names_and_no_python_cap() -> None:
    project = TOOLS_PYPROJECT["project"]
    assert project["name"] == "deploydocs-tools"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"deploydocs-tools": "deploydocs_tools.cli:main"}
    packages = TOOLS_PYPROJECT["tool"]["setuptools"]["packages"]
    assert all(name.split(".")[0] == "deploydocs_tools" for name in packages)
    on_disk = {"deploydocs_tools" + ("." + ".".join(p.parent.relative_to(REPO / "tools").parts)
                                     if p.parent != REPO / "tools" else "")
               for p in (REPO / "tools").rglob("__init__.py")}
    assert on_disk == set(packages), "a subpackage of tools/ is missing from the distribution"


def test_the_version_is_the_packages_own() -> None:
    from tools import __version__

    assert TOOLS_PYPROJECT["project"]["version"] == __version__


def test_runtime_dependencies_are_lower_bounded_ranges_and_docker_is_an_extra() -> None:
    project = TOOLS_PYPROJECT["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        assert requirement.specifier, f"{line}: no lower bound"
        assert all(spec.operator == ">=" for spec in requirement.specifier), line
    names = {Requirement(line).name for line in project["dependencies"]}
    assert "docker" not in names
    assert [Requirement(line).name for line in project["optional-dependencies"]["lab"]] == [
        "docker"]


def test_the_docs_projects_exact_pins_fall_in_the_distributions_ranges() -> None:
    """One list of runtime dependencies, two strictnesses: they never drift apart."""
    ranges = {Requirement(line).name: Requirement(line)
              for line in [*TOOLS_PYPROJECT["project"]["dependencies"],
                           *TOOLS_PYPROJECT["project"]["optional-dependencies"]["lab"]]}
    pins = {Requirement(line).name: Requirement(line)
            for line in DOCS_PYPROJECT["project"]["dependencies"]}
    assert set(pins) == set(ranges)
    for name, pin in pins.items():
        (spec,) = pin.specifier
        assert spec.operator == "==", f"the docs project pins {name} exactly"
        assert ranges[name].specifier.contains(spec.version), (
            f"{name}=={spec.version} (docs pin) is outside {ranges[name]} (tools range)")


# -- the installed distribution, outside the checkout ------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv of this Python with only deploydocs-tools (and its dependencies)
    installed from a copy of ``tools/``: its ``bin`` directory."""
    root = tmp_path_factory.mktemp("dist")
    source = root / "src" / "tools"
    shutil.copytree(REPO / "tools", source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", str(source)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    yield venv / "bin"


def _run(bin_dir: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd),
           "XDG_STATE_HOME": str(cwd / "state"), "LANG": "C.UTF-8"}
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_the_installed_package_is_deploydocs_tools_not_tools(installed: Path,
                                                             tmp_path: Path) -> None:
    found = _run(installed, tmp_path, "python", "-c",
                 "import importlib.util as u; print(u.find_spec('tools'), "
                 "u.find_spec('deploydocs_tools').origin)")
    assert found.returncode == 0, found.stderr
    absent, origin = found.stdout.split()
    assert absent == "None"  # no top-level `tools` to collide with the operator's own
    assert "site-packages" in origin and str(REPO) not in origin


@pytest.mark.slow
def test_the_console_script_and_python_m_list_every_command(installed: Path,
                                                             tmp_path: Path) -> None:
    from tools.cli import COMMANDS

    for argv in (["deploydocs-tools", "--help"], ["python", "-m", "deploydocs_tools", "-h"]):
        shown = _run(installed, tmp_path, *argv)
        assert shown.returncode == 0, shown.stderr
        for name in COMMANDS:
            assert f"  {name} " in shown.stdout, (argv, name)
        command = shown.stdout.split("Commands:")[1]
        assert command.strip()


@pytest.mark.slow
def test_generate_then_validate_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    """The README's five commands (install aside), then an edit the generator won't undo."""
    steps = [
        ["deploydocs-tools", "vagga", "write", "--out", ".", "--project", "mysite"],
        ["deploydocs-tools", "lithos", "generate", "--out", "lithos", "--sandbox", "mysite",
         "--project", "mysite"],
        ["deploydocs-tools", "verwalter", "scaffold", "--out", "verwalter", "--role", "mysite"],
    ]
    for argv in steps:
        done = _run(installed, tmp_path, *argv)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
    checked = _run(installed, tmp_path, "deploydocs-tools", "validate", "--summary", ".")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "5 files and 1 verwalter tree checked: 0 errors, 0 warnings" in checked.stderr

    vagga = tmp_path / "vagga.yaml"
    edited = vagga.read_text().replace("!Ubuntu", "!Ubuntoo", 1)
    vagga.write_text(edited)
    again = _run(installed, tmp_path, *steps[0])
    assert again.returncode == 1
    assert vagga.read_text() == edited  # the edit survives
    broken = _run(installed, tmp_path, "deploydocs-tools", "validate", "--format", "github", ".")
    assert broken.returncode == 1
    assert "::error file=vagga.yaml,line=" in broken.stdout
    assert "did you mean !Ubuntu" in broken.stdout
    assert not (tmp_path / "_build").exists()
    leftovers = [p for p in installed.parent.rglob("*")
                 if "_build" in p.parts or p.name == "workstation"]
    assert leftovers == []


def test_the_pre_commit_hook_file_is_the_distributions_own() -> None:
    """pre-commit reads .pre-commit-hooks.yaml at the repository's top; the distribution
    ships the same file (the top one is a link to it)."""
    from ruamel.yaml import YAML

    top = REPO / ".pre-commit-hooks.yaml"
    assert top.resolve() == (REPO / "tools/.pre-commit-hooks.yaml").resolve()
    (hook,) = YAML(typ="safe").load(top.read_text())
    assert hook["id"] == "deploydocs-validate"
    assert hook["entry"].startswith("deploydocs-tools validate")
    pyproject = (REPO / "tools/pyproject.toml").read_text()
    assert '"deploydocs_tools" = [".pre-commit-hooks.yaml"]' in pyproject


@pytest.mark.slow
def test_the_hook_file_is_installed_with_the_package(installed: Path) -> None:
    site = next((installed.parent / "lib").glob("python*/site-packages/deploydocs_tools"))
    assert (site / ".pre-commit-hooks.yaml").read_text() == \
        (REPO / "tools/.pre-commit-hooks.yaml").read_text()
