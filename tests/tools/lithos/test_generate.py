"""Generated lithos configs: they validate, and they are written atomically."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.helpers import assert_bad_name_rejected
from tools.cli import main
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


def test_the_image_dir_follows_the_sandbox_unless_given() -> None:
    assert DjangoParams().image_dir == "/var/lib/lithos/images/django"
    assert DjangoParams(sandbox="myapp").image_dir == "/var/lib/lithos/images/myapp"
    assert DjangoParams(sandbox="myapp", image_dir="/srv/img").image_dir == "/srv/img"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("project", "my-site", "project: 'my-site' is not a Python module name"),
    ("project", "class", "project: 'class' is a Python keyword"),
    ("sandbox", "my.app", "sandbox: 'my.app' is not a lithos name"),
    ("sandbox", "", "sandbox: must not be empty"),
    ("process", "web/1", "process: 'web/1' is not a lithos name"),
])
def test_params_reject_names_the_tools_would_not_take(field: str, value: str,
                                                      message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DjangoParams(**{field: value})


def generate_cli(out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["lithos", "generate", "--out", str(out), *args])


def test_generate_with_a_sandbox_derives_its_file_names_and_image_dir(tmp_path: Path) -> None:
    result = generate_cli(tmp_path, "--sandbox", "myapp")
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml")) == [
        "config/web.yaml", "master.yaml", "processes/myapp.yaml", "sandboxes/myapp.yaml"]
    sandbox, problems = config.parse_sandbox(tmp_path / "sandboxes/myapp.yaml")
    assert problems == [] and sandbox is not None
    assert sandbox.image_dir == "/var/lib/lithos/images/myapp"
    result = generate_cli(tmp_path / "other", "--sandbox", "myapp", "--image-dir", "/srv/x")
    assert result.exit_code == 0, result.output
    assert "image-dir: /srv/x\n" in (tmp_path / "other/sandboxes/myapp.yaml").read_text()


@pytest.mark.parametrize(("args", "option"), [
    (["--project", "my-site"], "'--project'"),
    (["--sandbox", "my.app"], "'--sandbox'"),
    (["--sandbox", "a/b"], "'--sandbox'"),
    (["--process", "web 2"], "'--process'"),
    (["--image-dir", "images/django"], "'--image-dir'"),
    (["--storage-dir", "storage"], "'--storage-dir'"),
])
def test_generate_rejects_bad_names_naming_the_option(tmp_path: Path, args: list[str],
                                                      option: str) -> None:
    assert_bad_name_rejected(["lithos", "generate"], tmp_path / "out", args, option)


def test_generate_refuses_to_overwrite_an_edited_file(tmp_path: Path) -> None:
    assert generate_cli(tmp_path).exit_code == 0
    processes = tmp_path / "processes/django.yaml"
    edited = processes.read_text().replace("instances: 1", "instances: 5")
    processes.write_text(edited)
    master_before = (tmp_path / "master.yaml").stat()
    result = generate_cli(tmp_path, "--port", "8001")
    assert result.exit_code == 1
    assert "refusing to overwrite 3 files" in result.output
    assert str(processes) in result.output and "--force" in result.output
    # nothing was written, not even the files that were not edited
    assert processes.read_text() == edited
    assert "8000" in (tmp_path / "sandboxes/django.yaml").read_text()
    forced = generate_cli(tmp_path, "--force")
    assert forced.exit_code == 0, forced.output
    assert "instances: 1\n" in processes.read_text()
    # an unchanged file is left alone (same inode, same mtime), yet listed
    assert (tmp_path / "master.yaml").stat().st_ino == master_before.st_ino
    assert (tmp_path / "master.yaml").stat().st_mtime_ns == master_before.st_mtime_ns
    assert str(tmp_path / "master.yaml") in forced.output.splitlines()


def test_generate_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    assert generate_cli(tmp_path).exit_code == 0
    sandbox = tmp_path / "sandboxes/django.yaml"
    before = sandbox.read_text()
    result = generate_cli(tmp_path, "--port", "8001", "--diff")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"--- {sandbox}" in lines and f"+++ {sandbox} (generated)" in lines
    assert "-- 8000" in lines and "+- 8001" in lines
    assert sandbox.read_text() == before
    same = generate_cli(tmp_path, "--diff")
    assert (same.exit_code, same.output) == (0, "")


def test_generate_dry_run_lists_each_file_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "etc"
    result = generate_cli(out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"new        {out / 'master.yaml'}" in result.output.splitlines()
    assert result.output.splitlines()[-1] == ("dry run: 4 new, 0 changed, 0 unchanged; "
                                              "nothing written")
    assert not out.exists()
    assert generate_cli(out).exit_code == 0
    (out / "master.yaml").write_text("log-level: debug\n")
    result = generate_cli(out, "--dry-run", "--json")
    assert result.exit_code == 1  # the real run would refuse
    states = {Path(item["path"]).name: item["status"] for item in json.loads(result.output)}
    assert states == {"master.yaml": "changed", "django.yaml": "unchanged",
                      "web.yaml": "unchanged"}
    assert generate_cli(out, "--dry-run", "--force").exit_code == 0
    assert (out / "master.yaml").read_text() == "log-level: debug\n"


def test_generate_diff_and_dry_run_exclude_each_other(tmp_path: Path) -> None:
    result = generate_cli(tmp_path, "--diff", "--dry-run")
    assert result.exit_code == 2 and "--diff and --dry-run" in result.output
    assert list(tmp_path.iterdir()) == []
