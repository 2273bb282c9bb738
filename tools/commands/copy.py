"""``deploydocs-tools copy``: copy files from this machine to every node.

Each file lands in the destination directory on every node through a temp file and
a rename, so a program that starts from it never sees half a file. A name without a
slash that is not a file here is looked up on ``PATH``, the way the shell finds a
command: ``copy cantal-agent --to /usr/bin`` copies the ``cantal-agent`` you run.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

import click

from ..errors import BadInput, CheckFailed
from .nodes import lab_hosts, node_options


def source_file(name: str) -> Path:
    """The file *name* names: a path, or for a bare name not found here, the executable of
    that name on ``PATH``. Raises :class:`~tools.errors.BadInput` when there is none."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if "/" not in name:
        found = shutil.which(name)
        if found is not None:
            return Path(found).resolve()
    raise BadInput(f"{name}: no such file" + ("" if "/" in name else " (nor on PATH)"))


@click.command("copy")
@click.argument("files", nargs=-1, required=True)
@click.option("--to", "destination", required=True,
              help="Directory on each node to copy into (absolute; must exist).")
@click.option("--mode", default=None,
              help="Octal mode of the copies (default: 0755 for executables, else 0644).")
@node_options
def cli(files: tuple[str, ...], destination: str, mode: str | None,
        backend: str | None, inventory: Path | None, nodes: tuple[str, ...],
        as_json: bool) -> None:
    """Copy files from here to every node.

    Each of FILES lands in the directory --to on every node (or the --node ones).
    """
    if not PurePosixPath(destination).is_absolute():
        raise BadInput(f"--to {destination}: give an absolute directory on the nodes")
    try:
        wanted_mode = None if mode is None else int(mode, 8)
    except ValueError as error:
        raise BadInput(f"--mode {mode}: not an octal mode such as 0755") from error
    sources = [source_file(name) for name in files]
    hosts = lab_hosts(backend, inventory, nodes)
    payload = []
    for source in sources:
        executable = os.access(source, os.X_OK)
        payload.append((source.name, source.read_bytes(),
                        wanted_mode if wanted_mode is not None
                        else (0o755 if executable else 0o644)))

    def send(name: str) -> str | None:
        host = hosts[name]
        for file_name, data, file_mode in payload:
            target = str(PurePosixPath(destination) / file_name)
            try:
                host.put_file(target, data, "root:root", file_mode)
            except Exception as error:  # one node failing must not hide the others
                return f"{name}: {target}: {error}"
        return None

    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        failures = [problem for problem in pool.map(send, sorted(hosts)) if problem]
    if as_json:
        click.echo(json.dumps({"ok": not failures, "nodes": sorted(hosts),
                               "files": [name for name, _, _ in payload],
                               "failures": failures}, indent=2))
    else:
        for name in sorted(hosts):
            click.echo(f"{name}: {', '.join(file for file, _, _ in payload)} → {destination}")
    if failures:
        raise CheckFailed("copy failed: " + "; ".join(failures))
