"""``python -m tools images``: build (stand-in), pack, push, list and prune images.

An operation that fails on a node (push, list, prune) exits 1; the other exit codes are
those of every command (:mod:`tools.errors`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .. import images
from ..errors import BadInput, CheckFailed, MissingBinary
from ..hosts import LocalHost, RsyncHost
from .nodes import choose_nodes, node_options


def state_dir() -> Path:
    """Where the tools keep what they make for later: ``$DEPLOYDOCS_STATE_DIR``, else
    ``$XDG_STATE_HOME/deploydocs``, else ``~/.local/state/deploydocs``.

    Never next to the code, nor in the current directory.
    """
    if os.environ.get("DEPLOYDOCS_STATE_DIR"):
        return Path(os.environ["DEPLOYDOCS_STATE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg).expanduser() / "deploydocs"


def default_build_out() -> Path:
    """``images build``'s default ``--out``: ``images`` in :func:`state_dir`."""
    return state_dir() / "images"


def _targets(local: bool, backend: str | None, inventory: Path | None,
             nodes: tuple[str, ...]) -> list[RsyncHost]:
    if local:
        return [LocalHost()]
    hosts = choose_nodes(backend, inventory, nodes)
    unfit = [name for name, host in hosts.items() if not isinstance(host, RsyncHost)]
    if unfit:
        raise BadInput(f"rsync cannot reach {', '.join(unfit)}")
    return [host for host in hosts.values() if isinstance(host, RsyncHost)]


def _existing_root(root: Path) -> Path:
    """*root*, which must be a directory (else bad input, exit 2)."""
    if not root.is_dir():
        raise BadInput(f"{root}: no such directory")
    return root


def _where_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--image-dir", required=True,
                     help="The sandbox's image-dir, e.g. /var/lib/lithos/images/hello."),
        click.option("--local", is_flag=True, help="A directory on this machine."),
    ]
    for option in reversed(options):
        func = option(func)
    return node_options(func)


@click.group("images")
def cli() -> None:
    """Build (stand-in), pack, push, list and prune images."""


@cli.command("name")
@click.argument("app_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--container", required=True, help="The vagga deploy container's name.")
def name(app_dir: Path, container: str) -> None:
    """Print the image name the build stand-in would give APP_DIR (<container>.<hash8>)."""
    click.echo(images.recipe_from_app(app_dir, container).image_name())


@cli.command("build")
@click.argument("app_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--container", required=True, help="The vagga deploy container's name.")
@click.option("--out", type=click.Path(path_type=Path), default=default_build_out,
              show_default="$XDG_STATE_HOME/deploydocs/images, or "
                           "$DEPLOYDOCS_STATE_DIR/images",
              help="Where .roots/<name>/root and the <container> link go.")
@click.option("--cache", type=click.Path(path_type=Path), default=images.CACHE_ROOT,
              show_default=True, help="Cache of debootstrap'd roots.")
@click.option("--json", "as_json", is_flag=True)
def build(app_dir: Path, container: str, out: Path, cache: Path, as_json: bool) -> None:
    """Image build stand-in: Debian bookworm + requirements + code + /config, like vagga.

    APP_DIR holds requirements.txt, the package directories (copied to /app)
    and config/ (copied to /config).
    """
    console = Console(stderr=True)
    recipe = images.recipe_from_app(app_dir, container)
    with console.status("image build stand-in") as status:
        try:
            built = images.build_image(recipe, out, cache,
                                       progress=lambda m: status.update(f"build: {m}"))
        except images.ImageError as exc:
            if str(exc).startswith(f"{images.DEBOOTSTRAP} is missing"):
                raise MissingBinary(str(exc)) from exc
            raise CheckFailed(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"stand_in": "image build stand-in", "name": built.name,
                               "root": str(built.root), "cached": built.cached}))
    else:
        click.echo(f"image build stand-in: {built.name} at {built.root}"
                   f"{' (cached)' if built.cached else ''}")


@cli.command("pack")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--compression", type=click.Choice(["xz", "gz", "bz2", "none"]), default="xz",
              show_default=True)
def pack(root: Path, output: Path, compression: str) -> None:
    """Tar an image ROOT to OUTPUT with owners and modes (like vagga _pack_image).

    xz compression runs the xz program on every core when one is on PATH, else
    Python's own (one core); both write the same format.
    """
    with Console(stderr=True).status(f"packing {root}"):
        images.pack_image(root, output, compression)
    click.echo(str(output))


@cli.command("push")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--name", "image_name", required=True, help="Image directory name on the nodes.")
@_where_options
def push(root: Path, image_name: str, image_dir: str, local: bool, backend: str | None,
         inventory: Path | None, nodes: tuple[str, ...], as_json: bool) -> None:
    """Push image ROOT to every node: rsync to <name>.tmp, then rename to <name>.

    The nodes are pushed to at the same time; one line per node, in node order.
    """
    from concurrent.futures import ThreadPoolExecutor

    _existing_root(root)
    if shutil.which("rsync") is None:
        raise MissingBinary("rsync is missing: install rsync (apt-get install rsync)")
    targets = _targets(local, backend, inventory, nodes)

    def push_one(target: RsyncHost) -> images.PushResult | images.ImageError:
        try:
            return images.push_image(root, target, image_dir, image_name)
        except images.ImageError as exc:
            return exc

    names = ", ".join(target.name for target in targets)
    with Console(stderr=True).status(f"pushing {image_name} to {names}"), \
            ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        outcomes = list(pool.map(push_one, targets))
    results: dict[str, Any] = {}
    failed = False
    for target, done in zip(targets, outcomes, strict=True):
        if isinstance(done, images.ImageError):
            if "usable image name" in str(done):
                raise BadInput(str(done)) from done
            failed = True
            results[target.name] = {"status": "failed", "error": str(done)}
            line = f"{target.name}: FAILED {done}"
        else:
            results[target.name] = {"status": done.status, "seconds": round(done.duration, 2)}
            line = f"{target.name}: {done.status} {image_name}"
        if not as_json:
            click.echo(line)
    if as_json:
        click.echo(json.dumps(results, indent=2, sort_keys=True))
    raise SystemExit(1 if failed else 0)


@cli.command("list")
@_where_options
@click.option("--processes", multiple=True,
              help="lithos process config(s) on the node marking images in use.")
def list_command(image_dir: str, local: bool, backend: str | None, inventory: Path | None,
                 nodes: tuple[str, ...], as_json: bool, processes: tuple[str, ...]) -> None:
    """List complete images on each node, newest first (partial .tmp ones are skipped)."""
    listing: dict[str, Any] = {}
    for target in _targets(local, backend, inventory, nodes):
        try:
            used = images.read_in_use(target, processes)
            found = images.list_images(target, image_dir, used)
        except images.ImageError as exc:
            raise CheckFailed(str(exc)) from exc
        listing[target.name] = [{"name": i.name, "mtime": i.mtime, "in_use": i.in_use}
                                for i in found]
    if as_json:
        click.echo(json.dumps(listing, indent=2, sort_keys=True))
        return
    for node, found_images in listing.items():
        for info in found_images:
            mark = "\t(in use)" if info["in_use"] else ""
            click.echo(f"{node}\t{info['name']}{mark}")


@cli.command("prune")
@_where_options
@click.option("--keep", type=click.IntRange(min=0), required=True,
              help="How many newest images to keep.")
@click.option("--processes", multiple=True,
              help="lithos process config(s) on the node; their images are never removed.")
@click.option("--in-use", multiple=True, help="Image names never to remove (repeatable).")
@click.option("--dry-run", is_flag=True,
              help="List what would be kept and removed on each node; remove nothing.")
def prune(image_dir: str, local: bool, backend: str | None, inventory: Path | None,
          nodes: tuple[str, ...], as_json: bool, keep: int, processes: tuple[str, ...],
          in_use: tuple[str, ...], dry_run: bool) -> None:
    """Remove all but the newest KEEP images, never one a process config uses.

    With ``--dry-run`` each node's line says ``would remove`` (``would_remove``
    in the JSON) and nothing is removed.
    """
    report: dict[str, Any] = {}
    failed = False
    for target in _targets(local, backend, inventory, nodes):
        try:
            done = images.prune_images(target, image_dir, keep, processes, in_use, dry_run)
            report[target.name] = {"kept": done.kept,
                                   "would_remove" if dry_run else "removed": done.removed}
        except images.ImageError as exc:
            failed = True
            report[target.name] = {"error": str(exc)}
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        verb = "would remove" if dry_run else "removed"
        for node, data in report.items():
            if "error" in data:
                click.echo(f"{node}: FAILED {data['error']}")
            else:
                gone = data["would_remove" if dry_run else "removed"]
                click.echo(f"{node}: kept {', '.join(data['kept']) or 'nothing'}; "
                           f"{verb} {', '.join(gone) or 'nothing'}")
    raise SystemExit(1 if failed else 0)
