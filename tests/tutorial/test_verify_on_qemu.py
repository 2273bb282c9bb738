"""The whole tutorial, verified unchanged on the qemu lab's VMs (systemd, own kernels).

Marked ``qemu`` and ``slow``: it boots three VMs and runs every block of the
tutorial (about as long as ``make verify LAB=qemu``), so it runs only when
``LAB=qemu`` is set. When the lab cannot start, the test fails with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tutorial.qemu_lab import LAB_NAME
from tools.probe import REAL_TOOLS

REPO = Path(__file__).resolve().parents[2]
SUMMARY_RE = re.compile(r"^(?:deploydocs verify: )?(\d+) passed(?: \(\d+ from cache\))?, "
                        r"(\d+) failed, (\d+) not run(?: \((.*?)\))?"
                        r"(?:, \d+ skipped \(.*\))?$")
"""A verify summary, as in ``summary.txt`` or (with its prefix) at the end of the build."""


def _copy_site(dest: Path) -> Path:
    """The site's sources without build output or records, so every block runs."""
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "_build", "_verified", "*.egg-info", "__pycache__", ".pytest_cache",
        ".ruff_cache", ".hypothesis"))
    return dest


def not_run_tools(reasons: str) -> list[str]:
    """The tools named by a summary's not-run reasons; raise on a reason that is neither a
    missing real tool nor a download the lab cannot make ("needs the internet: ...")."""
    tools: list[str] = []
    for reason in filter(None, reasons.split("; ")):
        if reason.startswith("needs the internet: "):
            continue
        match = re.fullmatch(r"(.+) absent: \d+ blocks?", reason)
        if not match:
            raise ValueError(f"not a missing real tool: {reason!r}")
        tools += match.group(1).split(", ")
    return tools


def test_the_summary_of_a_verify_is_parsed_with_or_without_its_prefix() -> None:
    line = ("91 passed, 0 failed, 27 not run (cantal-agent absent: 11 blocks; vagga absent: "
            "9 blocks; verwalter, cantal-agent absent: 5 blocks; verwalter absent: 2 blocks)")
    for text in (line, f"deploydocs verify: {line}"):
        match = SUMMARY_RE.match(text)
        assert match and match.groups()[:3] == ("91", "0", "27"), text
        assert not_run_tools(match.group(4)) == [
            "cantal-agent", "vagga", "verwalter", "cantal-agent", "verwalter"]
    assert SUMMARY_RE.match("3 passed (3 from cache), 1 failed, 0 not run").groups() == (
        "3", "1", "0", None)
    real = ("116 passed, 0 failed, 8 not run (needs the internet: vagga downloads the Ubuntu "
            "jammy base image: 8 blocks), 8 skipped (real verwalter ran instead: 6 blocks)")
    match = SUMMARY_RE.match(real)
    assert match and match.groups()[:3] == ("116", "0", "8")
    assert not_run_tools(match.group(4)) == []


def test_not_run_reasons_are_read_as_missing_tools_or_refused() -> None:
    assert not_run_tools("vagga absent: 9 blocks; verwalter, cantal-agent absent: 5 blocks; "
                         "verwalter absent: 1 block") == [
        "vagga", "verwalter", "cantal-agent", "verwalter"]
    assert not_run_tools("") == []
    with pytest.raises(ValueError, match="earlier block failed"):
        not_run_tools("vagga absent: 9 blocks; earlier block failed (a.rst:3): 2 blocks")


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_the_tutorial_verifies_unchanged_on_the_qemu_vms(tmp_path: Path) -> None:
    from tools.lab.backends.qemu import QemuLab

    src = _copy_site(tmp_path / "src")
    out = tmp_path / "out"
    env = {**os.environ, "DEPLOYDOCS_MODE": "verify",
           "DEPLOYDOCS_TOOLS_DIR": os.environ.get("TOOLS_DIR", ""),
           "DEPLOYDOCS_LAB": "tests.tutorial.qemu_lab:open_tutorial_qemu_lab",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    lab = QemuLab(LAB_NAME)
    lab.down()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out / "html"),
             "-d", str(out / "doctrees")], env=env, cwd=src, capture_output=True, text=True)
        summary_file = out / "html" / "deploydocs" / "summary.txt"
        assert summary_file.exists(), f"no summary (exit {proc.returncode}): {proc.stderr[-3000:]}"
        summary = summary_file.read_text().strip()
        match = SUMMARY_RE.match(summary)
        assert match, summary
        passed, failed, _not_run, reasons = match.groups()
        assert int(failed) == 0, summary + "\n" + proc.stderr[-6000:]
        assert int(passed) > 0, summary
        absent = not_run_tools(reasons or "")
        assert set(absent) <= set(REAL_TOOLS), summary
        assert not any(tool.startswith("lithos") for tool in absent), summary  # lithos ran
        services = ["lithos"]
        if os.environ.get("TOOLS_DIR"):  # real cantal and verwalter were given: all ran
            assert absent == [], summary
            services += ["cantal", "verwalter"]
        # On the VMs the tutorial's `systemctl enable --now ... || setsid ...` lines take
        # the systemd branch: systemd's journal has each unit started on every node.
        for node, host in lab.hosts().items():
            for service in services:
                result = host.run(f"journalctl -q --no-pager -u {service}.service -o cat | "
                                  f"grep -c '^Started {service}.service'", timeout=120)
                assert result.ok and int(result.stdout.strip() or 0) >= 1, (node, service,
                                                                             result)
    finally:
        lab.down()
