"""Small helpers shared by test modules: parametrize tables, CLI checks, a session's lab."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from _pytest.mark.structures import ParameterSet
from click.testing import CliRunner


def keyed_cases(table: Mapping[str, object]) -> list[ParameterSet]:
    """One ``pytest.param(value, id=name)`` for each ``name: value`` entry of *table*."""
    return [pytest.param(value, id=name) for name, value in table.items()]


def named_cases(rows: Iterable[Sequence[object]]) -> list[ParameterSet]:
    """One ``pytest.param(*values, id=name)`` for each ``(name, *values)`` row of *rows*."""
    return [pytest.param(*row[1:], id=str(row[0])) for row in rows]


def load_reject_cases(path: Path, table: str,
                      bases: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """Table *table* of the case file *path*: ``[(name, text, "line: key"), ...]``.

    A case is either a whole ``text`` or a ``base`` (a name in *bases*) and its ``edits``,
    applied in order: ``replace: [old, new]`` (every occurrence; *old* must occur, so a
    base that changed under a case fails here instead of testing nothing) or
    ``append: text``.
    """
    from ruamel.yaml import YAML

    loaded: list[tuple[str, str, str]] = []
    for row in YAML(typ="safe").load(path.read_text())[table]:
        text = row["text"] if "text" in row else str(bases[row["base"]])
        for edit in row.get("edits", []):
            if "append" in edit:
                text += edit["append"]
            else:
                old, new = edit["replace"]
                assert old in text, f"{path}: {row['name']}: {old!r} is not in the text"
                text = text.replace(old, new)
        loaded.append((row["name"], text, row["error"]))
    return loaded


def assert_bad_name_rejected(command: Sequence[str], out: Path, args: Sequence[str],
                             option: str) -> None:
    """``python -m tools <command> --out <out> <args>`` exits 2 naming *option* (as click
    quotes it) and writes nothing to *out*."""
    from tools.cli import main

    result = CliRunner().invoke(main, [*command, "--out", str(out), *args])
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.output
    assert not out.exists()


class _Closable(Protocol):
    def close(self) -> None: ...


LabT = TypeVar("LabT", bound=_Closable)


@contextmanager
def docker_lab_session(open_lab: Callable[[], LabT], name: str, *,
                       skip_unless_ci: bool = False) -> Iterator[LabT]:
    """The lab *open_lab* brings up, closed and the docker lab *name* taken down at the end.

    A lab that cannot start fails the test; with *skip_unless_ci* it skips it instead unless
    ``CI=true``."""
    from tools.lab.backends.docker import DockerLab

    try:
        lab = open_lab()
    except Exception as error:  # any reason the lab cannot start
        if skip_unless_ci and os.environ.get("CI") != "true":
            pytest.skip(f"the docker lab could not start: {error}")
        pytest.fail(f"the docker lab could not start{' under CI' if skip_unless_ci else ''}: "
                    f"{type(error).__name__}: {error}")
    try:
        yield lab
    finally:
        lab.close()
        DockerLab(name).down()


def assert_mypy_clean(target: str) -> None:
    """``mypy <target>`` with the repository's ``[tool.mypy]`` settings finds nothing.

    Its cache lives under ``_build`` (ignored by git and by Sphinx), one per target.
    """
    import subprocess
    import sys

    pytest.importorskip("mypy", reason="mypy is pinned in the test extra")
    repo = Path(__file__).resolve().parent.parent
    cache = repo / "_build" / "mypy_cache" / target.replace("/", "_")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(repo / "pyproject.toml"),
         "--cache-dir", str(cache), target],
        cwd=repo, capture_output=True, text=True, check=False, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success: no issues found"), checked.stdout


def provision_like_the_pages(lab: Any, *, packages: tuple[str, ...] = ("rsync",),
                             lithos: bool = True) -> None:
    """Give a docker lab's bare nodes what the tutorial's machines chapter gives them:
    Debian *packages* from the lab's mirror, and real lithos (built with ``lithos build``'s
    cache, sent with ``copy``). Fails the test when either cannot be done."""
    import os
    import subprocess
    import sys

    import pytest

    from tools.lithos.build import ensure_lithos

    install = ("export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
               f"apt-get install -y -qq --no-install-recommends {' '.join(packages)} "
               ">/dev/null 2>&1")
    for node in lab.nodes if packages else ():
        result = lab.hosts[node].run(install, timeout=600)
        if not result.ok:
            pytest.fail(f"{node}: apt-get install {' '.join(packages)} failed: {result.stderr}")
    if not lithos:
        return
    binaries = sorted(str(path) for path in ensure_lithos().iterdir())
    copied = subprocess.run(
        [sys.executable, "-m", "tools", "copy", *binaries, "--to", "/usr/bin",
         "--backend", "docker"],
        env={**os.environ, "DEPLOYDOCS_LAB_NAME": lab.name}, capture_output=True, text=True,
        timeout=600, check=False)
    if copied.returncode != 0:
        pytest.fail(f"copying lithos to the nodes failed: {copied.stderr}")
