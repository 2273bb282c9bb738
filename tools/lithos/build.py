"""Build the real lithos 0.18.4 from crates.io, once, and cache the binaries.

lithos 0.18.4 ships no ``Cargo.lock``, and one of its dependencies (blake2 0.7)
needs ``crypto-mac ^0.5``, whose versions are all yanked: a plain ``cargo
install lithos --version 0.18.4`` cannot resolve. Cargo does accept a yanked
version that a lock file already names, so we keep our own lock file next to
this module (``lithos-0.18.4.Cargo.lock``) and build with it:

1. a throw-away package that depends on ``lithos =0.18.4`` gets a lock file
   derived from ours, and ``cargo fetch --locked`` downloads every crate
   (the lithos crate itself is checked against :data:`LITHOS_CRATE_SHA256`);
2. the unpacked lithos source is copied out of cargo's registry cache into a
   temporary directory, our lock file becomes its ``Cargo.lock``, and
   ``cargo build --release --locked --offline`` builds every binary target;
3. the binaries are staged in a hidden directory beside the cache entry and
   renamed into place in one step, so a killed build never leaves half a cache.

The cache entry's name holds a hash of the lock file, the ``rustc --version``
line and the build recipe; a second call with the same inputs runs no cargo at
all. Nothing here is upstream code: the lithos source is only ever read from
cargo's own download, in a temporary directory.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from ..fs import exclusive_lock

LITHOS_VERSION = "0.18.4"
"""The lithos release this module builds."""

LITHOS_CRATE_SHA256 = "1aa4bdb74bed4801edb5af026c74250a513562e6050254127e9f2d385e35f46e"
"""SHA-256 of ``lithos-0.18.4.crate`` as published in the crates.io index."""

LOCK_FILE = Path(__file__).with_name(f"lithos-{LITHOS_VERSION}.Cargo.lock")
"""Our lock file for lithos 0.18.4 (lithos as the root package)."""

DEFAULT_CACHE_ROOT = Path("/var/cache/deploydocs")
"""Where built binaries are kept between runs, as root (:func:`default_cache_root`)."""


def default_cache_root() -> Path:
    """:data:`DEFAULT_CACHE_ROOT` as root; else ``$XDG_CACHE_HOME/deploydocs``
    (``~/.cache/deploydocs``), so a build as an ordinary user needs no root."""
    if os.geteuid() == 0:
        return DEFAULT_CACHE_ROOT
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deploydocs"

CRATES_IO_SOURCE = "registry+https://github.com/rust-lang/crates.io-index"
"""How a lock file names the crates.io registry."""

FETCH_PACKAGE = "deploydocs-lithos-source"
"""Name of the throw-away package whose only job is to make cargo download lithos."""

BUILD_RECIPE = "cargo build --release --locked --offline --bins; CARGO_PROFILE_RELEASE_DEBUG=false"
"""What the build does; part of the cache key, so changing it invalidates old entries."""

OUTPUT_TAIL_LINES = 60
"""How many lines of cargo's output a :class:`LithosBuildError` carries."""

Progress = Callable[[str], None]
"""A callback that receives one human-readable line at a time."""


class LithosBuildError(RuntimeError):
    """Building lithos failed; ``output_tail`` holds the end of cargo's output."""

    def __init__(self, message: str, output_tail: str = "") -> None:
        """Keep the message and the tail of the failing command's output."""
        self.output_tail = output_tail
        text = (
            message if not output_tail else f"{message}\n--- cargo output (tail) ---\n{output_tail}"
        )
        super().__init__(text)


def cache_key(lock_text: str, rustc_version: str) -> str:
    """Return the short hash naming a cache entry for this lock file and compiler.

    :param lock_text: the lock file's content
    :param rustc_version: the output of ``rustc --version``

    >>> key = cache_key("version = 4", "rustc 1.95.0 (59807616e 2026-04-14)")
    >>> len(key), key == cache_key("version = 4", "rustc 1.96.0 (0000000aa 2026-05-28)")
    (16, False)
    """
    digest = hashlib.sha256()
    for part in (
        LITHOS_VERSION,
        LITHOS_CRATE_SHA256,
        BUILD_RECIPE,
        rustc_version.strip(),
        lock_text,
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def fetch_lock_text(lock_text: str, crate_sha256: str = LITHOS_CRATE_SHA256) -> str:
    """Derive the lock file of the throw-away fetch package from ours.

    Ours has lithos as its root package. The fetch package depends on lithos
    from crates.io instead, so lithos gains a ``source`` and ``checksum`` and
    the fetch package gets an entry of its own, placed where cargo sorts it;
    the result is exactly what cargo would write, so ``--locked`` accepts it.

    :param lock_text: our lock file's content
    :param crate_sha256: the published checksum of the lithos crate
    :raises LithosBuildError: if the lock file has no root entry for lithos
    """
    header, _, body = lock_text.partition("\n[[package]]\n")
    blocks = [f"[[package]]\n{block.strip()}\n" for block in body.split("\n[[package]]\n")]
    root_start = f'[[package]]\nname = "lithos"\nversion = "{LITHOS_VERSION}"\n'
    roots = [i for i, block in enumerate(blocks) if block.startswith(root_start)]
    if len(roots) != 1 or "\nsource = " in blocks[roots[0]]:
        raise LithosBuildError(f"the lock file has no root entry for lithos {LITHOS_VERSION}")
    blocks[roots[0]] = (
        f'{root_start}source = "{CRATES_IO_SOURCE}"\nchecksum = "{crate_sha256}"\n'
        + blocks[roots[0]][len(root_start) :]
    )
    fetch_block = (
        f'[[package]]\nname = "{FETCH_PACKAGE}"\nversion = "0.0.0"\n'
        'dependencies = [\n "lithos",\n]\n'
    )
    names = [block.split('"', 2)[1] for block in blocks]
    position = next((i for i, name in enumerate(names) if name > FETCH_PACKAGE), len(blocks))
    blocks.insert(position, fetch_block)
    return header.rstrip("\n") + "\n\n" + "\n".join(blocks)


def fetch_manifest() -> str:
    """Return the ``Cargo.toml`` of the throw-away package that depends on lithos."""
    return (
        "[package]\n"
        f'name = "{FETCH_PACKAGE}"\n'
        'version = "0.0.0"\n'
        'edition = "2021"\n'
        "publish = false\n\n"
        "[lib]\n"
        'path = "lib.rs"\n\n'
        "[dependencies]\n"
        f'lithos = "={LITHOS_VERSION}"\n'
    )


def find_program(name: str) -> str:
    """Return the path of ``cargo`` or ``rustc``, looking in ``~/.cargo/bin`` too.

    :raises LithosBuildError: if the program is not installed
    """
    found = shutil.which(name) or shutil.which(name, path=str(Path.home() / ".cargo" / "bin"))
    if found is None:
        raise LithosBuildError(f"{name} is not installed (needed to build lithos {LITHOS_VERSION})")
    return found


def rustc_version() -> str:
    """Return the ``rustc --version`` line of the compiler cargo will use."""
    result = subprocess.run(
        [find_program("rustc"), "--version"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LithosBuildError("rustc --version failed", result.stderr.strip())
    return result.stdout.strip()


def run_cargo(argv: list[str], cwd: Path, env: dict[str, str], progress: Progress) -> str:
    """Run one cargo command, passing each output line to ``progress``.

    :returns: cargo's standard output and error, merged
    :raises LithosBuildError: with the last lines of output if cargo fails
    """
    tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
    lines: list[str] = []
    with subprocess.Popen(
        [find_program("cargo"), *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip("\n")
                tail.append(line)
                lines.append(line)
                progress(line)
            status = process.wait()
        except BaseException:
            process.kill()
            raise
    if status != 0:
        raise LithosBuildError(f"cargo {' '.join(argv)} failed (exit {status})", "\n".join(tail))
    return "\n".join(lines)


def build_lock(cache_root: Path) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock so that one process at a time builds into ``cache_root``."""
    return exclusive_lock(cache_root / ".lithos-build.lock")


def remove_partial_builds(cache_root: Path) -> None:
    """Remove staging directories that a killed build left behind (call under the lock)."""
    for leftover in cache_root.glob(".lithos-*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def fetch_lithos_source(
    work: Path, lock_text: str, env: dict[str, str], progress: Progress
) -> dict[str, Any]:
    """Download lithos and its dependencies with cargo; return lithos's ``cargo metadata`` entry."""
    package = work / "fetch"
    package.mkdir()
    (package / "Cargo.toml").write_text(fetch_manifest())
    (package / "lib.rs").write_text("")
    (package / "Cargo.lock").write_text(fetch_lock_text(lock_text))
    progress(f"fetching lithos {LITHOS_VERSION} and its dependencies from crates.io")
    run_cargo(["fetch", "--locked"], package, env, progress)
    listed = subprocess.run(
        [find_program("cargo"), "metadata", "--locked", "--offline", "--format-version", "1"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        raise LithosBuildError("cargo metadata failed", listed.stderr[-4000:])
    metadata = json.loads(listed.stdout)
    for entry in metadata["packages"]:
        if entry["name"] == "lithos" and entry["version"] == LITHOS_VERSION:
            return cast(dict[str, Any], entry)
    raise LithosBuildError(f"cargo metadata does not list lithos {LITHOS_VERSION}")


def build_binaries(
    work: Path, lithos: dict[str, Any], lock_text: str, env: dict[str, str], jobs: int,
    progress: Progress,
) -> tuple[Path, list[str]]:
    """Build every binary target of a copy of the lithos source with our lock file.

    :returns: the directory holding the built binaries and their names
    """
    source = work / f"lithos-{LITHOS_VERSION}"
    shutil.copytree(Path(lithos["manifest_path"]).parent, source)
    (source / "Cargo.lock").write_text(lock_text)
    binaries = sorted(t["name"] for t in lithos["targets"] if "bin" in t["kind"])
    progress(f"building {', '.join(binaries)} with -j {jobs} (several minutes)")
    build_env = {
        **env,
        "CARGO_TARGET_DIR": str(work / "target"),
        "CARGO_PROFILE_RELEASE_DEBUG": "false",
    }
    run_cargo(
        ["build", "--release", "--locked", "--offline", "--bins", "-j", str(jobs)],
        source,
        build_env,
        progress,
    )
    built = work / "target" / "release"
    missing = [name for name in binaries if not (built / name).is_file()]
    if missing:
        raise LithosBuildError(f"cargo finished but these binaries are missing: {missing}")
    return built, binaries


def build_into(staging: Path, lock_text: str, compiler: str, jobs: int, progress: Progress) -> None:
    """Build lithos; put its binaries in ``staging/bin`` and a summary in ``build.json``."""
    started = time.monotonic()
    env = {**os.environ, "CARGO_TERM_COLOR": "never", "CARGO_TERM_PROGRESS_WHEN": "never"}
    with tempfile.TemporaryDirectory(prefix="deploydocs-lithos-") as scratch:
        work = Path(scratch)
        lithos = fetch_lithos_source(work, lock_text, env, progress)
        built, binaries = build_binaries(work, lithos, lock_text, env, jobs, progress)
        (staging / "bin").mkdir()
        for name in binaries:
            shutil.copy2(built / name, staging / "bin" / name)
    manifest = {
        "lithos": LITHOS_VERSION,
        "rustc": compiler,
        "lock_sha256": hashlib.sha256(lock_text.encode()).hexdigest(),
        "recipe": BUILD_RECIPE,
        "binaries": binaries,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started, 1),
    }
    (staging / "build.json").write_text(json.dumps(manifest, indent=2) + "\n")


def ensure_lithos(
    cache_root: Path | None = None,
    progress: Progress | None = None,
    *,
    jobs: int = 1,
    lock_file: Path = LOCK_FILE,
) -> Path:
    """Return a directory holding every lithos 0.18.4 binary, building them if needed.

    The directory holds the binaries and nothing else (lithos_check, lithos_clean,
    lithos_cmd, lithos_crypt, lithos_knot, lithos_ps, lithos_switch, lithos_tree),
    so it can be handed to the lab as a tools directory. A cache hit runs only
    ``rustc --version``.

    :param cache_root: directory for cache entries (created if missing; default
        :func:`default_cache_root`)
    :param progress: receives status lines and cargo's output while building
    :param jobs: parallel compiler jobs (``cargo -j``)
    :param lock_file: the lock file to build with
    :raises LithosBuildError: when cargo cannot fetch or build; carries cargo's output tail
    """
    report = progress or (lambda _line: None)
    cache_root = default_cache_root() if cache_root is None else cache_root
    lock_text = lock_file.read_text()
    compiler = rustc_version()
    entry = cache_root / f"lithos-{LITHOS_VERSION}-{cache_key(lock_text, compiler)}"
    if (entry / "bin").is_dir():
        return entry / "bin"
    cache_root.mkdir(parents=True, exist_ok=True)
    with build_lock(cache_root):
        if (entry / "bin").is_dir():
            return entry / "bin"
        remove_partial_builds(cache_root)
        staging = Path(tempfile.mkdtemp(dir=cache_root, prefix=f".{entry.name}.partial-"))
        try:
            build_into(staging, lock_text, compiler, jobs, report)
            staging.chmod(0o755)
            staging.rename(entry)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    report(f"lithos {LITHOS_VERSION} binaries in {entry / 'bin'}")
    return entry / "bin"
