"""Every config file the tutorial pages write passes the validators of ``tools``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tutorial.test_pages_match_sources import TUTORIAL, lab_files
from tools.validate import validate_path

IMAGE = "hello-deploy.0123abcd"


def errors(path: Path, kind: str, **options: Path) -> list[str]:
    return [str(p) for p in validate_path(path, kind, **options) if p.severity == "error"]


@pytest.fixture()
def lithos_files(tmp_path: Path) -> Path:
    """The lithos configs of chapter 4 and the container config of chapter 2, on disk."""
    shown = {**lab_files(TUTORIAL / "container.rst"), **lab_files(TUTORIAL / "lithos.rst")}
    root = tmp_path / "etc" / "lithos"
    for page_path, target in [
        ("/etc/lithos/master.yaml", root / "master.yaml"),
        ("/etc/lithos/sandboxes/hello.yaml", root / "sandboxes" / "hello.yaml"),
        ("/etc/lithos/processes/hello.yaml", root / "processes" / "hello.yaml"),
        ("hello/config/hello.yaml", tmp_path / "images" / IMAGE / "config" / "hello.yaml"),
    ]:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(shown[page_path].replace("${IMAGE}", IMAGE))
    (tmp_path / "images" / IMAGE / "state").mkdir()  # the !Statedir mount point
    return tmp_path


def test_master_config_is_valid(lithos_files: Path) -> None:
    assert errors(lithos_files / "etc/lithos/master.yaml", "lithos-master") == []


def test_sandbox_is_valid(lithos_files: Path) -> None:
    assert errors(lithos_files / "etc/lithos/sandboxes/hello.yaml", "lithos-sandbox") == []


def test_container_config_fits_the_sandbox(lithos_files: Path) -> None:
    sandbox = lithos_files / "etc/lithos/sandboxes/hello.yaml"
    assert errors(lithos_files / "images" / IMAGE / "config/hello.yaml", "lithos-container",
                  sandbox=sandbox) == []


def test_process_config_fits_the_sandbox_and_the_image(lithos_files: Path) -> None:
    image_dir = lithos_files / "images"
    sandbox = lithos_files / "etc/lithos/sandboxes/hello.yaml"
    assert errors(lithos_files / "etc/lithos/processes/hello.yaml", "lithos-process",
                  sandbox=sandbox, image_dir=image_dir) == []


def test_a_port_the_sandbox_does_not_allow_is_caught(lithos_files: Path) -> None:
    sandbox = lithos_files / "etc/lithos/sandboxes/hello.yaml"
    sandbox.write_text(sandbox.read_text().replace("[8000]", "[9000]"))
    assert errors(lithos_files / "images" / IMAGE / "config/hello.yaml", "lithos-container",
                  sandbox=sandbox) != []


def test_vagga_yaml_is_valid(tmp_path: Path) -> None:
    shown = lab_files(TUTORIAL / "container.rst")
    path = tmp_path / "vagga.yaml"
    path.write_text(shown["hello/vagga.yaml"])
    assert errors(path, "vagga") == []
