"""The lithos_check wrapper, and our validators compared with the real lithos_check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.lithos.test_config import ACCEPTED_CONTAINERS, CONTAINER_REJECTS
from tools.lithos.check import (
    LithosCheckNotFound,
    check_generated,
    parse_messages,
    run_lithos_check,
)
from tools.lithos.generate import DjangoParams, generate_files

# Rules lithos_check --check-container does not look at: lithos fails on them only when
# the container starts (or never). Every other rejected case must fail the real checker.
NOT_CHECKED_BY_LITHOS_CHECK = {
    "volume mount relative", "Readonly relative", "port out of range", "port not a number",
    "two ports one fd", "secret environ and file", "secret value not encrypted",
}


def test_log_lines_are_split_into_levels_and_texts() -> None:
    stderr = ("ERROR 2026-11-25T20:05:08Z: lithos_check: undefined variable \"x\"\n"
              "continued here\n WARN 2026-11-25T20:05:08Z: lithos_check: Lithos version v0.18.4\n")
    messages = parse_messages(stderr)
    assert [(m.level, m.text) for m in messages] == [
        ("ERROR", 'undefined variable "x" continued here'),
        ("WARN", "Lithos version v0.18.4")]


def test_a_missing_lithos_check_raises(tmp_path: Path) -> None:
    with pytest.raises(LithosCheckNotFound, match="lithos_check not found"):
        run_lithos_check(check_containers=[tmp_path / "x.yaml"], bin_dir=tmp_path)


def test_the_check_command_exits_3_when_lithos_check_is_absent(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools", "lithos", "check", "--bin-dir", str(tmp_path),
         "--check-container", str(tmp_path / "web.yaml")],
        capture_output=True, text=True, check=False)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"error: lithos_check not found (looked in {tmp_path})",
        "hint: install lithos, or pass --bin-dir DIR"]


def test_generated_configs_pass_the_real_lithos_check(lithos_bin: Path) -> None:
    params = DjangoParams(image="django-deploy.0123abcd", storage_dir="/var/lib/lithos/st")
    result = check_generated(generate_files(params), params.image, lithos_bin)
    assert result.ok, result.stderr


def test_the_real_lithos_check_fails_on_a_broken_generated_config(lithos_bin: Path) -> None:
    params = DjangoParams(image="django-deploy.0123abcd")
    files = generate_files(params)
    files["sandboxes/django.yaml"] = files["sandboxes/django.yaml"].replace("- 8000", "- 9000")
    result = check_generated(files, params.image, lithos_bin)
    assert result.exit_status == 1
    assert any("Port 8000 is not allowed" in e for e in result.errors), result.stderr


@pytest.mark.parametrize(("name", "text"), [(c[0], c[1]) for c in CONTAINER_REJECTS
                                            if c[0] not in NOT_CHECKED_BY_LITHOS_CHECK])
def test_what_we_reject_the_real_lithos_check_rejects(name: str, text: str, tmp_path: Path,
                                                      lithos_bin: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(text)
    result = run_lithos_check(check_containers=[path], bin_dir=lithos_bin)
    assert result.exit_status == 1, name


@pytest.mark.parametrize("text", ACCEPTED_CONTAINERS.values(), ids=ACCEPTED_CONTAINERS.keys())
def test_what_we_accept_the_real_lithos_check_accepts(text: str, tmp_path: Path,
                                                      lithos_bin: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(text)
    result = run_lithos_check(check_containers=[path], bin_dir=lithos_bin)
    assert result.ok, result.stderr
