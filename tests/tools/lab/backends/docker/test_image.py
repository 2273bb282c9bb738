"""The bare node image's recipe: what a provider hands out, and nothing of the tutorial."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.lab.backends.docker import image
from tools.lab.backends.docker.mirror import APT_SOURCES_LIST, PIP_CONF


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for directory in ("etc/ssh", "etc/apt/sources.list.d", "var/lib/dbus",
                      "var/cache/apt/archives", "var/lib/apt/lists"):
        (root / directory).mkdir(parents=True)
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("secret")
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "var/lib/dbus/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "etc/apt/sources.list.d/debian.sources").write_text("Types: deb\n")
    return root


def test_a_prepared_root_is_what_a_provider_hands_out(tmp_path: Path) -> None:
    root = _root(tmp_path)
    image._prepare_root(root)
    assert not list((root / "etc/ssh").glob("ssh_host_*"))  # each machine makes its own
    assert (root / "etc/machine-id").read_text() == ""  # filled on the first boot
    assert not (root / "var/lib/dbus/machine-id").exists()
    assert (root / "etc/apt/sources.list").read_text() == APT_SOURCES_LIST
    assert not list((root / "etc/apt/sources.list.d").iterdir())
    assert (root / "etc/pip.conf").read_text() == PIP_CONF
    boot = root / image.BOOT_SCRIPT_PATH.lstrip("/")
    assert boot.read_text().rstrip().endswith("exec /lib/systemd/systemd")
    assert boot.stat().st_mode & 0o111
    assert "ssh-keygen -A" in (root / "etc/systemd/system/ssh.service.d/host-keys.conf"
                               ).read_text()


def test_nothing_of_the_tutorial_is_in_the_recipe() -> None:
    recipe = image.base_recipe()
    packages = set(recipe["packages"])  # type: ignore[call-overload]
    assert {"systemd-sysv", "openssh-server", "python3", "curl", "ca-certificates"} <= packages
    assert not {"rsync", "jq", "nftables", "python3-venv", "python3-pip"} & packages
    assert "python_requirements" not in recipe
    assert image.base_tag().startswith("deploydocs.lab/base:")


def test_the_tag_follows_the_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    before = image.base_tag()
    monkeypatch.setattr(image, "BOOT_SCRIPT", image.BOOT_SCRIPT + "# changed\n")
    assert image.base_tag() != before
    monkeypatch.undo()
    assert image.base_tag() == before
