"""``deploydocs-tools lithos build``: build the real lithos 0.18.4 and put its binaries in
a directory, ready to copy to the machines.

A plain ``cargo install lithos --version 0.18.4`` cannot resolve (see
:mod:`tools.lithos.build`); this command builds it with the lock file this package
keeps, once: a second call finds the build in the cache and only copies the binaries.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import CheckFailed, MissingBinary
from ..fs import write_atomically
from ..lithos.build import LITHOS_VERSION, LithosBuildError, default_cache_root, ensure_lithos


def copy_binaries(bin_dir: Path, out: Path) -> list[str]:
    """Copy every executable of *bin_dir* into *out* (each through a temp file and a
    rename, mode 0755); return their names, sorted."""
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for item in sorted(bin_dir.iterdir()):
        if item.is_file() and os.access(item, os.X_OK):
            write_atomically(out / item.name, item.read_bytes(), 0o755)
            names.append(item.name)
    return names


@click.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to put the binaries in (created if missing).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where builds are cached (default /var/cache/deploydocs as root, "
                   "else ~/.cache/deploydocs).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="all cores", help="Parallel compiler jobs.")
@click.option("-q", "--quiet", is_flag=True, help="Do not show cargo's output.")
def cli(out: Path, cache_dir: Path | None, jobs: int, quiet: bool) -> None:
    """Build lithos 0.18.4 with the lock file kept here (once) and copy its binaries to OUT.

    Needs cargo and a C compiler; the first build downloads crates from crates.io and
    takes several minutes, later ones reuse the cached build.
    """
    def show(line: str) -> None:
        click.echo(line, err=True)

    try:
        bin_dir = ensure_lithos(cache_dir or default_cache_root(),
                                None if quiet else show, jobs=jobs)
    except FileNotFoundError as error:
        raise MissingBinary(f"{error.filename or error}: not installed; lithos is built "
                            "with cargo", hint="install Rust (rustup) and a C compiler") from error
    except LithosBuildError as error:
        raise CheckFailed(f"building lithos {LITHOS_VERSION} failed: {error}") from error
    for name in copy_binaries(bin_dir, out):
        click.echo(str(out / name))
