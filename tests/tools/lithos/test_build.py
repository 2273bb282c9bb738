"""Building the real lithos 0.18.4 from crates.io, and caching the result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools.lithos import build as lithos_build
from tools.lithos.build import (
    FETCH_PACKAGE,
    LITHOS_CRATE_SHA256,
    LOCK_FILE,
    LithosBuildError,
    cache_key,
    ensure_lithos,
    fetch_lock_text,
)

EXPECTED_BINARIES = {
    "lithos_check",
    "lithos_clean",
    "lithos_cmd",
    "lithos_crypt",
    "lithos_knot",
    "lithos_ps",
    "lithos_switch",
    "lithos_tree",
}
"""The binary targets of the lithos 0.18.4 crate."""

ALLOWED_SHARED_LIBRARIES = {"linux-vdso.so.1", "libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"}
"""Libraries every Debian bookworm system has, so the binaries run on bare lab nodes."""


@pytest.fixture(scope="module")
def lithos_bin() -> Path:
    """The cached bin directory, built from scratch if this machine has no cache yet."""
    return ensure_lithos()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_every_built_binary_reports_version_0_18_4(lithos_bin: Path) -> None:
    assert {path.name for path in lithos_bin.iterdir()} == EXPECTED_BINARIES
    for name in sorted(EXPECTED_BINARIES):
        result = subprocess.run(
            [str(lithos_bin / name), "--version"], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, (name, result.stderr)
        assert "0.18.4" in result.stdout, (name, result.stdout)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_lithos_check_prints_its_version(lithos_bin: Path) -> None:
    result = subprocess.run(
        [str(lithos_bin / "lithos_check"), "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == "0.18.4"


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_binaries_need_only_libraries_a_bare_bookworm_has(lithos_bin: Path) -> None:
    for name in sorted(EXPECTED_BINARIES):
        listing = subprocess.run(
            ["ldd", str(lithos_bin / name)], capture_output=True, text=True, check=True
        ).stdout
        libraries = {Path(line.split()[0]).name for line in listing.splitlines() if line.strip()}
        assert libraries <= ALLOWED_SHARED_LIBRARIES, (name, libraries)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_second_call_is_a_cache_hit_that_runs_no_cargo(
    lithos_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = lithos_bin.parent / "build.json"
    built_at = summary.stat().st_mtime_ns
    real_run, real_popen = subprocess.run, subprocess.Popen

    def refuse_cargo(original):
        def guarded(argv, *args, **kwargs):
            assert not str(argv[0]).endswith("cargo"), f"cargo was run on a cache hit: {argv}"
            return original(argv, *args, **kwargs)

        return guarded

    monkeypatch.setattr(lithos_build.subprocess, "run", refuse_cargo(real_run))
    monkeypatch.setattr(lithos_build.subprocess, "Popen", refuse_cargo(real_popen))

    assert ensure_lithos() == lithos_bin
    assert summary.stat().st_mtime_ns == built_at
    assert json.loads(summary.read_text())["lithos"] == "0.18.4"


@pytest.mark.timeout(600)
def test_lock_without_the_yanked_crypto_mac_fails_cleanly_and_leaves_no_cache(
    tmp_path: Path,
) -> None:
    cache_root = tmp_path / "cache"
    cache_root.mkdir()
    leftover = cache_root / ".lithos-0.18.4-0123456789abcdef.partial-killed"
    leftover.mkdir()
    text = LOCK_FILE.read_text()
    blocks = text.split("\n[[package]]\n")
    kept = [b for b in blocks if not b.startswith(('name = "crypto-mac"', 'name = "blake2"'))]
    broken_lock = tmp_path / "broken.Cargo.lock"
    broken_lock.write_text("\n[[package]]\n".join(kept))

    with pytest.raises(LithosBuildError) as raised:
        ensure_lithos(cache_root, lock_file=broken_lock)

    assert "crypto-mac" in str(raised.value)
    assert "crypto-mac" in raised.value.output_tail
    assert sorted(p.name for p in cache_root.iterdir()) == [".lithos-build.lock"]


def test_fetch_lock_gives_lithos_its_crates_io_checksum_and_adds_the_fetch_package() -> None:
    ours = LOCK_FILE.read_text()
    derived = fetch_lock_text(ours)

    assert derived.count("[[package]]") == ours.count("[[package]]") + 1
    assert (
        'name = "lithos"\nversion = "0.18.4"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
        f'checksum = "{LITHOS_CRATE_SHA256}"\n'
    ) in derived
    names = [block.split('"', 2)[1] for block in derived.split("[[package]]\nname = ")[1:]]
    assert FETCH_PACKAGE in names
    assert names == sorted(names)


def test_fetch_lock_rejects_a_lock_without_a_lithos_root() -> None:
    with pytest.raises(LithosBuildError, match="no root entry for lithos"):
        fetch_lock_text('version = 4\n\n[[package]]\nname = "libc"\nversion = "0.2.0"\n')


def test_cache_key_changes_with_the_compiler_and_the_lock() -> None:
    lock = LOCK_FILE.read_text()
    key = cache_key(lock, "rustc 1.95.0 (59807616e 2026-04-14)")

    assert key == cache_key(lock, "rustc 1.95.0 (59807616e 2026-04-14)\n")
    assert key != cache_key(lock, "rustc 1.96.0 (0000000aa 2026-05-28)")
    assert key != cache_key(lock + "\n", "rustc 1.95.0 (59807616e 2026-04-14)")
