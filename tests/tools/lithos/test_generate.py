"""Generated lithos configs: they validate, and they are written atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.lithos import config
from tools.lithos.generate import DjangoParams, generate_files, write_files
from tools.vagga import ensured_dirs, parse_vagga, tutorial_vagga_yaml

PARAMS = [
    DjangoParams(),
    DjangoParams(image="django-deploy.0123abcd", port=8080, user=1000, group=1000,
                 instances=3, storage_dir="/var/lib/lithos/storage/django"),
    DjangoParams(sandbox="shop", process="api", project="Shop", workers=4),
]


@pytest.mark.parametrize("params", PARAMS)
def test_everything_generated_passes_the_validators(params: DjangoParams) -> None:
    files = generate_files(params)
    sandbox_file = f"sandboxes/{params.sandbox}.yaml"
    sandbox, problems = config.parse_sandbox(files[sandbox_file], sandbox_file)
    assert sandbox is not None and problems == []
    assert config.validate_master(files["master.yaml"], "master.yaml") == []
    assert config.validate_process(files[f"processes/{params.sandbox}.yaml"], "p.yaml",
                                   sandbox=sandbox) == []
    assert config.validate_container(files[f"config/{params.process}.yaml"], "c.yaml",
                                     sandbox=sandbox) == []


def test_the_container_config_serves_gunicorn_on_a_lithos_socket() -> None:
    files = generate_files(DjangoParams(port=8000))
    container, _ = config.parse_container(files["config/web.yaml"], "config/web.yaml")
    assert container is not None
    assert [(p.port, p.fd) for p in container.tcp_ports] == [("8000", 3)]
    assert container.environ["GUNICORN_FD"] == "3"
    sandbox, _ = config.parse_sandbox(files["sandboxes/django.yaml"], "sandboxes/django.yaml")
    assert sandbox is not None and sandbox.image_dir == "/var/lib/lithos/images/django"
    assert sandbox.image_dir_levels == 1 and sandbox.allows_port(8000)


def test_generated_images_on_disk_pass_the_image_checks(tmp_path: Path) -> None:
    params = DjangoParams(image="django-deploy.0123abcd")
    files = generate_files(params)
    write_files(tmp_path / "etc", files)
    # lay the image out the way the tutorial's vagga deploy container builds it
    record, _ = parse_vagga(tutorial_vagga_yaml(), "vagga.yaml")
    root = tmp_path / "images" / params.image
    for directory in ensured_dirs(record, "django-deploy"):
        (root / directory.lstrip("/")).mkdir(parents=True, exist_ok=True)
    (root / "config" / "web.yaml").write_text(files["config/web.yaml"])
    problems = config.validate_process(tmp_path / "etc/processes/django.yaml",
                                       sandbox=tmp_path / "etc/sandboxes/django.yaml",
                                       image_dir=tmp_path / "images")
    assert problems == []


def test_write_files_leaves_nothing_half_written(tmp_path: Path, monkeypatch) -> None:
    files = generate_files(DjangoParams())
    real_fdopen = os.fdopen
    opened: list[int] = []

    def fdopen_failing_on_the_third_file(*args, **kwargs):
        if len(opened) == 2:
            raise OSError("disk full")
        opened.append(args[0])
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen_failing_on_the_third_file)
    with pytest.raises(OSError, match="disk full"):
        write_files(tmp_path, files)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_generate_command_writes_every_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools", "lithos", "generate", "--out", str(tmp_path),
         "--image", "django-deploy.0123abcd", "--port", "8001", "--json"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    written = sorted(str(Path(p).relative_to(tmp_path)) for p in json.loads(result.stdout))
    assert written == ["config/web.yaml", "master.yaml", "processes/django.yaml",
                       "sandboxes/django.yaml"]
    assert "8001" in (tmp_path / "sandboxes/django.yaml").read_text()
    assert not list(tmp_path.rglob(".tmp.*"))
