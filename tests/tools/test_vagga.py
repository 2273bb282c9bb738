"""vagga.yaml validation (section 7.6), the tutorial's vagga.yaml, and image names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import load_reject_cases
from tools.lithos.generate import DjangoParams, generate_files
from tools.problems import Problem
from tools.vagga import (
    VaggaParams,
    check_deploy_container,
    explain_name,
    parse_vagga,
    tutorial_vagga_yaml,
    validate_vagga,
    write_vagga,
)

CASES = Path(__file__).with_name("vagga_rejects.yaml")
"""The cases the validators must reject: base texts of this module, edited (the format:
:func:`tests.helpers.load_reject_cases`)."""

BASE = """\
containers:
  django:
    environ: {LANG: C.UTF-8}
    volumes:
      /tmp: !Empty
    setup:
    - !Ubuntu jammy
    - !Py3Requirements requirements.txt
commands:
  run: !Command
    container: django
    run: python3 manage.py runserver
"""


def errors_at(problems: list[Problem]) -> list[str]:
    return [f"{p.line}: {p.key}" for p in problems if p.severity == "error"]


REJECTS = load_reject_cases(CASES, "REJECTS", globals())


@pytest.mark.parametrize(("text", "expected"), [r[1:] for r in REJECTS],
                         ids=[r[0] for r in REJECTS])
def test_vagga_rejects(text: str, expected: str) -> None:
    problems = validate_vagga(text, "vagga.yaml")
    assert expected in errors_at(problems)
    assert all(p.file == "vagga.yaml" for p in problems)


def test_container_targets_must_exist_and_not_cycle() -> None:
    text = BASE + ("  deploy:\n    container: django\n    run: x\n")
    text = text.replace("commands:", "  deploy:\n    setup: [!Container nope]\n"
                        "  a:\n    setup: [!Container b]\n"
                        "  b:\n    setup: [!Build {container: a}]\ncommands:")
    found = errors_at(validate_vagga(text, "vagga.yaml"))
    assert "10: containers.deploy.setup[0]" in found
    # the cycle a -> b -> a is reported once, at b's !Build that closes it
    assert [f for f in found if "cyclic" not in f and f.startswith(("11", "14"))] == [
        "14: containers.b.setup[0]"]


def test_a_self_reference_is_a_cycle_reported_at_the_container_step() -> None:
    text = BASE.replace("- !Ubuntu jammy", "- !Container django")
    problems = validate_vagga(text, "vagga.yaml")
    assert errors_at(problems) == ["7: containers.django.setup[0]"]
    assert "cyclic" in problems[0].message and "includes itself" in problems[0].message


def test_a_command_naming_a_missing_container_only_warns() -> None:
    problems = validate_vagga(BASE.replace("container: django", "container: nope"), "v.yaml")
    assert errors_at(problems) == [] and [p.severity for p in problems] == ["warning"]


def test_a_missing_mixin_only_warns(tmp_path: Path) -> None:
    path = tmp_path / "vagga.yaml"
    path.write_text("mixins: [vagga.extra.yaml]\n" + BASE)
    problems = validate_vagga(path)
    assert errors_at(problems) == [] and [p.severity for p in problems] == ["warning"]


ACCEPTED = {
    "tutorial": tutorial_vagga_yaml(),
    "base": BASE,
    "tag before compact mapping": BASE.replace(
        "- !Py3Requirements requirements.txt",
        "- !AptTrust keys: [5BB92C09DB82666C]\n      server: keyserver.ubuntu.com"),
    "duplicate anchors and merge": "_a: &x [!Ubuntu jammy]\n_b: &x [!Alpine v3.15]\n"
        "_env: &env {A: '1'}\ncontainers:\n  c:\n    setup: *x\n    environ:\n      <<: *env\n"
        "      B: '2'\n",
    "supervise and options": BASE + "  both: !Supervise\n    mode: wait-all-successful\n"
        "    kill-unresponsive-after: 5\n    children:\n      web: !Command\n"
        "        container: django\n        run: [python3, -m, http.server]\n"
        "        network: {ip: 172.23.0.2, ports: {8080: 8000}}\n"
        "      sh: !BridgeCommand\n        container: django\n        run: sh\n"
        "  _hidden: !Command\n    container: django\n    run: [true]\n    pid1mode: exec\n"
        "    write-mode: transient-hard-link-copy\n    user-id: 1\n    _mglawica: {port: 1}\n",
    "yes is a string": BASE.replace("run: python3 manage.py runserver", "run: yes"),
    "many steps": "containers:\n  all:\n    auto-clean: true\n    uids: [0-65535]\n"
        "    image-cache-url: ./cache/${container_name}.${short_hash}.tar.xz\n    setup:\n"
        "    - !Alpine v3.15\n    - !Repo community\n    - !Install [git]\n"
        "    - !BuildDeps [gcc]\n    - !PipConfig {dependencies: true, index-urls: [http://x]}\n"
        "    - !Py3Install [django>=4]\n    - !Sh echo hi\n    - !Cmd [echo, hi]\n"
        "    - !Env {A: b}\n    - !Text {/etc/motd: hi}\n    - !EnsureDir /app\n"
        "    - !Depends requirements.txt\n    - !Download {url: http://x/y, path: /y, "
        "mode: 0o755}\n    - !Tar {url: http://x/t.tgz, path: /opt}\n"
        "    - !Git {url: http://x/r.git, path: /src}\n    - !GitDescribe /version\n"
        "    - !CacheDirs {/root/.cache: pip}\n    - !Remove /var/cache/apk\n"
        "    - !RunAs {user-id: 1, script: echo hi}\n    - !UbuntuUniverse\n",
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_realistic_vagga_files_are_accepted(text: str) -> None:
    assert errors_at(validate_vagga(text, "vagga.yaml")) == []


def test_includes_are_followed_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "more.yaml").write_text("setup: [!Bogus x]\n")
    path = tmp_path / "vagga.yaml"
    path.write_text("containers:\n  a: !*Include more.yaml\n")
    problems = validate_vagga(path)
    assert [p.key for p in problems] == ["containers.a.setup[0]"]


def test_the_tutorial_deploy_container_has_every_mount_point() -> None:
    files = generate_files(DjangoParams(storage_dir="/var/lib/lithos/storage/django"))
    from tools.lithos.config import parse_container

    container, _ = parse_container(files["config/web.yaml"], "web.yaml")
    assert container is not None
    mounts = sorted(container.volumes)
    plain = VaggaParams()
    record, _ = parse_vagga(tutorial_vagga_yaml(plain), "vagga.yaml")
    problems = check_deploy_container(record, "django-deploy", "vagga.yaml", mounts)
    assert [p.message for p in problems] == [
        "no !EnsureDir /storage: lithos needs the mount point in the read-only image"]
    fixed = VaggaParams(mount_points=("/state", "/storage"))
    record, _ = parse_vagga(tutorial_vagga_yaml(fixed), "vagga.yaml")
    assert check_deploy_container(record, "django-deploy", "vagga.yaml", mounts) == []


def test_the_tutorial_dev_container_mounts_an_empty_tmp() -> None:
    text = BASE.replace("      /tmp: !Empty\n", "      /x: !Empty\n").replace(
        "commands:", "  django-deploy:\n    setup: [!Container django]\ncommands:")
    record, _ = parse_vagga(text, "vagga.yaml")
    problems = check_deploy_container(record, "django-deploy", "vagga.yaml")
    assert [(p.key, p.severity) for p in problems] == [
        ("containers.django.volumes./tmp", "warning")]
    text = text.replace("[!Container django]", "[!Ubuntu jammy]")
    record, _ = parse_vagga(text, "vagga.yaml")
    problems = check_deploy_container(record, "django-deploy", "vagga.yaml")
    assert [p.key for p in problems] == ["containers.django-deploy.setup"]


def test_write_vagga_writes_a_valid_file_atomically(tmp_path: Path) -> None:
    path = write_vagga(tmp_path)
    assert path == tmp_path / "vagga.yaml"
    assert validate_vagga(path) == []
    assert [p.name for p in tmp_path.iterdir()] == ["vagga.yaml"]
    text = path.read_text()
    assert "- !Container django\n" in text and "/tmp: !Empty" in text
    assert "path: /config" in text and "- !EnsureDir /app" in text


def test_explain_name_takes_the_hash_vagga_printed() -> None:
    info = explain_name("django-deploy", "5f1c2a9e")
    assert info["image"] == "django-deploy.5f1c2a9e"
    assert info["vagga_root"] == ".vagga/.roots/django-deploy.5f1c2a9e/root"
    assert info["node_path"] == "/var/lib/lithos/images/django/django-deploy.5f1c2a9e"
    for bad in ("5F1C2A9E", "5f1c2a9", "5f1c2a9eX", "zzzzzzzz"):
        with pytest.raises(ValueError):
            explain_name("django-deploy", bad)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tools", "vagga", *args],
                          capture_output=True, text=True, check=False)


def test_vagga_commands(tmp_path: Path) -> None:
    result = run_cli("write", "--out", str(tmp_path), "--mount", "/state", "--mount", "/storage")
    assert result.returncode == 0, result.stderr
    assert "- !EnsureDir /storage" in (tmp_path / "vagga.yaml").read_text()
    result = run_cli("explain-name", "django-deploy", "5f1c2a9e", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["image"] == "django-deploy.5f1c2a9e"
    result = run_cli("explain-name", "django-deploy", "nothex!")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    lithos = tmp_path / "web.yaml"
    lithos.write_text(generate_files(DjangoParams(storage_dir="/s"))["config/web.yaml"])
    result = run_cli("check-deploy", str(tmp_path / "vagga.yaml"), "--lithos-config", str(lithos))
    assert result.returncode == 0, result.stdout + result.stderr


def test_cross_checks_still_run_when_a_step_is_wrong() -> None:
    text = "containers:\n  deploy:\n    setup:\n    - !Container dev\n    - !EnsureDir app\n"
    assert sorted(errors_at(validate_vagga(text, "vagga.yaml"))) == [
        "4: containers.deploy.setup[0]", "5: containers.deploy.setup[1]"]


def test_a_misspelt_first_step_gives_no_follow_on_deploy_errors() -> None:
    text = BASE.replace("commands:", "  deploy:\n    setup:\n    - !Contaner django\n"
                        "    - !EnsureDri /state\ncommands:")
    record, problems = parse_vagga(text, "vagga.yaml")
    assert [(p.line, p.key, p.message) for p in problems] == [
        (11, "containers.deploy.setup[0]", "unknown tag !Contaner (did you mean !Container?)"),
        (12, "containers.deploy.setup[1]", "unknown tag !EnsureDri (did you mean !EnsureDir?)")]
    assert record is not None
    # neither "must start with !Container" nor "no !EnsureDir /state": both are the typos
    assert check_deploy_container(record, "deploy", "vagga.yaml", ["/state"]) == []
    fixed, _ = parse_vagga(text.replace("!Contaner", "!Container")
                           .replace("!EnsureDri /state", "!EnsureDir /other"), "vagga.yaml")
    assert [p.key for p in check_deploy_container(fixed, "deploy", "vagga.yaml",
                                                  ["/state"])] == ["containers.deploy.setup"]


def test_a_key_newer_than_vagga_0_8_1_is_refused_as_0_8_1_refuses_it() -> None:
    from tools.vagga import validate_vagga

    text = ("containers:\n  a:\n    setup:\n    - !Ubuntu jammy\n    - !PipConfig\n"
            "      get-pip-args: [x]\n")
    (problem,) = validate_vagga(text, "vagga.yaml")
    assert (problem.line, problem.rule) == (6, "vagga-newer-key")
    assert 'Keys {"get-pip-args"} are not expected' in problem.message
