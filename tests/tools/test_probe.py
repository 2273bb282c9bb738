"""The probe reports each real tool's version and the SHA-256 of the binary a command runs."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tools import probe
from tools.probe import parse_probe, probe_info, probe_script

EXTRA = "deploydocs-lab-probe-extra"
"""An executable name no real tool has: the probe is pointed at it, nothing is faked."""


def _executable(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def _run_probe(path: str, tools: tuple[str, ...]) -> str:
    result = subprocess.run(["bash", "-c", probe_script(tools)], env={"PATH": path},
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def test_parse_probe_reads_sha256_lines_and_ignores_malformed_ones() -> None:
    output = (f"tool=a\ta 1.0\nsha256=a\t{'1' * 64}\ntool=b\tpresent at /b\n"
              f"sha256=b\tnot-a-digest\nmissing=c\n")
    facts = parse_probe(output)
    assert facts["tools"] == {"a": "a 1.0", "b": "present at /b"}
    assert facts["sha256"] == {"a": "1" * 64}
    assert facts["absent"] == ["c"]


def test_the_probe_hashes_the_binary_it_found(tmp_path: Path) -> None:
    tool = _executable(tmp_path, EXTRA, "echo 'extra 4.2.1'")
    facts = parse_probe(_run_probe(f"{tmp_path}:/usr/bin:/bin", (EXTRA, "deploydocs-none")))
    assert facts["tools"] == {EXTRA: "extra 4.2.1"}
    assert facts["sha256"] == {EXTRA: hashlib.sha256(tool.read_bytes()).hexdigest()}
    assert facts["absent"] == ["deploydocs-none"]


def test_a_tool_without_a_version_is_present_at_its_path_and_still_hashed(tmp_path: Path) -> None:
    tool = _executable(tmp_path, EXTRA, "exit 3")  # like verwalter_render: no --version
    facts = parse_probe(_run_probe(f"{tmp_path}:/usr/bin:/bin", (EXTRA,)))
    assert facts["tools"] == {EXTRA: f"present at {tool}"}
    assert facts["sha256"][EXTRA] == hashlib.sha256(tool.read_bytes()).hexdigest()


def test_the_hosts_own_path_comes_before_the_system_directories(tmp_path: Path) -> None:
    """A workstation's --tools-dir is first on its PATH: the probe must report that binary."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _executable(first, EXTRA, "echo first 1.0")
    _executable(second, EXTRA, "echo second 2.0")
    facts = parse_probe(_run_probe(f"{first}:{second}:/usr/bin:/bin", (EXTRA,)))
    assert facts["tools"] == {EXTRA: "first 1.0"}


def test_probe_info_carries_the_digests_into_host_info() -> None:
    info = probe_info("node1", "10.0.0.2", f"machine-id=ab\nos=Debian\ntool=x\tx 1\n"
                                           f"sha256=x\t{'e' * 64}\n")
    assert (info.name, info.address, info.machine_id, info.os) == ("node1", "10.0.0.2", "ab",
                                                                   "Debian")
    assert info.tools == {"x": "x 1"}
    assert info.sha256 == {"x": "e" * 64}


def test_the_default_probe_looks_for_every_real_tool() -> None:
    script = probe_script()
    for tool in probe.REAL_TOOLS:
        assert f" {tool} " in script or f" {tool};" in script
