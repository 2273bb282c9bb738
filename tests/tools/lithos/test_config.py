"""lithos config validators: every rule of sections 7.1-7.4 rejects, realistic configs pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import keyed_cases, load_reject_cases, named_cases
from tools.lithos import config
from tools.problems import Problem

CASES = Path(__file__).with_name("config_rejects.yaml")
"""The cases the validators must reject: base texts of this module, edited (the format:
:func:`tests.helpers.load_reject_cases`)."""

SANDBOX = """\
image-dir: /var/lib/lithos/images/django
image-dir-levels: 1
allow-users: [1]
allow-groups: [1]
default-group: 1
allow-tcp-ports: [8000, 9000-9010]
readonly-paths:
  /timezones: /usr/share/zoneinfo
writable-paths:
  /storage: /var/lib/lithos/storage/django
"""

CONTAINER = """\
kind: Daemon
user-id: 1
group-id: 1
executable: /usr/bin/python3
arguments: [-m, gunicorn, MyProject.wsgi]
workdir: /app
environ:
  GUNICORN_FD: "3"
volumes:
  /tmp: !Tmpfs {size: 16Mi}
  /state: !Statedir {}
tcp-ports:
  8000: {fd: 3}
"""


def with_volumes(lines: str) -> str:
    """CONTAINER with more volumes after /state (line 12 onwards)."""
    return CONTAINER.replace("  /state: !Statedir {}\n", "  /state: !Statedir {}\n" + lines)


def errors_at(problems: list[Problem]) -> list[str]:
    return [f"{p.file}:{p.line}: {p.key}" for p in problems if p.severity == "error"]


def assert_rejected(validate: Callable[..., list[Problem]], path: str, text: str,
                    expected: str, **options: object) -> None:
    """*validate* reports an error at *expected* (``line: key``) of *text* read as *path*."""
    assert f"{path}:{expected}" in errors_at(validate(text, path, **options))


def sandbox_model(text: str = SANDBOX) -> config.SandboxConfig:
    model, problems = config.parse_sandbox(text, "sandboxes/django.yaml")
    assert model is not None and errors_at(problems) == []
    return model


# (name, text, expected "line: key") -----------------------------------------------------

MASTER_REJECTS = load_reject_cases(CASES, "MASTER_REJECTS", globals())


@pytest.mark.parametrize(("text", "expected"), named_cases(MASTER_REJECTS))
def test_master_rejects(text: str, expected: str) -> None:
    assert_rejected(config.validate_master, "master.yaml", text, expected)


SANDBOX_REJECTS = load_reject_cases(CASES, "SANDBOX_REJECTS", globals())


@pytest.mark.parametrize(("text", "expected"), named_cases(SANDBOX_REJECTS))
def test_sandbox_rejects(text: str, expected: str) -> None:
    assert_rejected(config.validate_sandbox, "sandboxes/django.yaml", text, expected)


PROCESS = "web:\n  image: django-deploy.0123abcd\n  config: /config/web.yaml\n  instances: 2\n"

PROCESS_REJECTS = load_reject_cases(CASES, "PROCESS_REJECTS", globals())


@pytest.mark.parametrize(("text", "expected"), named_cases(PROCESS_REJECTS))
def test_process_rejects(text: str, expected: str) -> None:
    assert_rejected(config.validate_process, "processes/django.yaml", text, expected)


def test_process_image_depth_follows_the_sandbox_levels() -> None:
    two = sandbox_model(SANDBOX.replace("image-dir-levels: 1", "image-dir-levels: 2"))
    problems = config.validate_process(PROCESS, "processes/django.yaml", sandbox=two)
    assert errors_at(problems) == ["processes/django.yaml:1: web.image"]
    nested = PROCESS.replace("django-deploy.0123abcd", "django/v1")
    assert errors_at(config.validate_process(nested, "p.yaml", sandbox=two)) == []
    assert errors_at(config.validate_process(nested, "p.yaml", sandbox=sandbox_model())) == [
        "p.yaml:1: web.image"]


def test_process_alone_does_not_assume_one_level() -> None:
    nested = PROCESS.replace("django-deploy.0123abcd", "django/v1")
    assert errors_at(config.validate_process(nested, "p.yaml")) == []


BRIDGED = SANDBOX + ("bridged-network:\n  bridge: br0\n  network: 10.0.0.0/24\n"
                     "  default-gateway: 10.0.0.1\n")


def test_bridged_sandbox_needs_an_ip_per_daemon_instance_inside_the_network() -> None:
    bridged = sandbox_model(BRIDGED)
    problems = config.validate_process(PROCESS + "  ip-addresses: [10.0.0.5]\n", "p.yaml",
                                       sandbox=bridged)
    assert errors_at(problems) == ["p.yaml:1: web.ip-addresses"]
    problems = config.validate_process(PROCESS + "  ip-addresses: [10.0.0.5, 10.1.0.6]\n",
                                       "p.yaml", sandbox=bridged)
    assert errors_at(problems) == ["p.yaml:1: web.ip-addresses"]
    ok = PROCESS + "  ip-addresses: [10.0.0.5, 10.0.0.6]\n"
    assert errors_at(config.validate_process(ok, "p.yaml", sandbox=bridged)) == []


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """A local image dir holding django-deploy.0123abcd with /config/web.yaml."""
    root = tmp_path / "images"
    conf = root / "django-deploy.0123abcd" / "config"
    conf.mkdir(parents=True)
    (conf / "web.yaml").write_text(CONTAINER.replace(
        "tcp-ports:\n  8000: {fd: 3}\n",
        "variables:\n  port: !TcpPort\n  mode: !Choice [fast, slow]\n"
        "tcp-ports:\n  \"@{port}\": {fd: 3}\n"))
    (conf / "cmd.yaml").write_text("kind: Command\nexecutable: /bin/true\nuser-id: 1\n")
    (root / "django-deploy.0123abcd" / "tmp").mkdir()
    (root / "django-deploy.0123abcd" / "state").mkdir()
    return root


def test_process_with_images_checks_mount_points(image_dir: Path) -> None:
    (image_dir / "django-deploy.0123abcd" / "state").rmdir()
    good = PROCESS + "  variables: {port: \"8000\", mode: fast}\n"
    problems = config.validate_process(good, "p.yaml", sandbox=sandbox_model(),
                                       image_dir=image_dir)
    assert errors_at(problems) == ["p.yaml:1: web.image"]
    assert "no directory /state" in problems[0].message


def test_an_unparseable_process_file_is_an_error_that_says_what_lithos_does() -> None:
    problems = config.validate_process("web: [\n", "p.yaml")
    assert errors_at(problems) == ["p.yaml:1: web"]
    assert problems[0].column == 6 and "'[' is never closed" in problems[0].message
    assert "lithos_tree runs nothing" in problems[0].message


def test_process_with_images_checks_variables_kinds_and_presence(image_dir: Path) -> None:
    good = PROCESS + "  variables: {port: \"8000\", mode: fast}\n"
    assert errors_at(config.validate_process(good, "p.yaml", sandbox=sandbox_model(),
                                             image_dir=image_dir)) == []
    cases = {
        PROCESS: ["p.yaml:1: web.variables.mode", "p.yaml:1: web.variables.port"],
        PROCESS + "  variables: {port: \"8001\", mode: fast}\n": ["p.yaml:1: web.variables.port"],
        PROCESS + "  variables: {port: \"8000\", mode: medium}\n": [
            "p.yaml:1: web.variables.mode"],
        PROCESS.replace("0123abcd", "ffffffff"): ["p.yaml:1: web.image"],
        PROCESS.replace("/config/web.yaml", "/config/nope.yaml"): ["p.yaml:1: web.config"],
        "run:\n  image: django-deploy.0123abcd\n  config: /config/cmd.yaml\n": [
            "p.yaml:1: run.kind"],
    }
    for text, expected in cases.items():
        problems = config.validate_process(text, "p.yaml", sandbox=sandbox_model(),
                                           image_dir=image_dir)
        found = [e for e in errors_at(problems) if e.startswith("p.yaml")]
        assert sorted(found) == expected, text


CONTAINER_REJECTS = load_reject_cases(CASES, "CONTAINER_REJECTS", globals())


@pytest.mark.parametrize(("text", "expected"), named_cases(CONTAINER_REJECTS))
def test_container_rejects(text: str, expected: str) -> None:
    assert_rejected(config.validate_container, "config/web.yaml", text, expected)


CONTAINER_SANDBOX_REJECTS = load_reject_cases(CASES, "CONTAINER_SANDBOX_REJECTS",
                                              globals())


@pytest.mark.parametrize(("text", "expected"), named_cases(CONTAINER_SANDBOX_REJECTS))
def test_container_rejects_against_the_sandbox(text: str, expected: str) -> None:
    sandbox = sandbox_model(SANDBOX + "uid-map: [{inside: 0, outside: 5000, count: 10}]\n")
    assert_rejected(config.validate_container, "config/web.yaml", text, expected,
                    sandbox=sandbox)


def test_default_group_zero_is_reported_when_the_container_sets_no_group() -> None:
    sandbox = sandbox_model(SANDBOX.replace("default-group: 1\n", ""))
    text = CONTAINER.replace("group-id: 1\n", "")
    problems = config.validate_container(text, "config/web.yaml", sandbox=sandbox)
    assert errors_at(problems) == ["config/web.yaml:1: group-id"]
    assert "default-group" in problems[-1].message


# accepted -------------------------------------------------------------------------------

ACCEPTED_MASTERS = {
    "empty file": "",
    "empty mapping": "{}\n",
    "all keys": "sandboxes-dir: ./sandboxes\nprocesses-dir: ./processes\nruntime-dir: /run/l\n"
                "state-dir: state\nmount-dir: mnt\ndevfs-dir: /var/lib/lithos/dev\n"
                "default-log-dir: /var/log/lithos\nconfig-log-dir: null\n"
                "stdio-log-dir: /var/log/lithos/stderr\nlog-file: master.log\n"
                "log-level: info\nsyslog-facility: daemon\nsyslog-app-name: lithos\n"
                "cgroup-name: ~\ncgroup-controllers: [name, cpu, memory]\n",
    "underscore spelling": "runtime_dir: /run/lithos\n_comment: ignored\n",
}


@pytest.mark.parametrize("text", keyed_cases(ACCEPTED_MASTERS))
def test_realistic_masters_are_accepted(text: str) -> None:
    assert config.validate_master(text, "master.yaml") == []


ACCEPTED_SANDBOXES = {
    "tutorial": SANDBOX,
    "shared image dir with id maps": "allow-users: [1]\nallow-groups: [0-1]\n"
        "image-dir: /var/lib/lithos/images\nuid-map:\n- {outside: 10000, inside: 0, count: 2}\n"
        "gid-map:\n- {outside: 10000, inside: 0, count: 2}\nallow-tcp-ports: [77]\n",
    "two levels": "image-dir: /var/lib/lithos/images\nimage-dir-levels: 2\n"
        "allow-users: [1-1000]\nallow-groups: [1-1000]\ndefault-user: 1\ndefault-group: 1\n",
    "bridged": BRIDGED + "  after-setup-command: [/usr/bin/arping, -U, \"@{container_ip}\"]\n",
    "no image-dir (code default)": "allow-users: [1]\nallow-groups: [0]\n",
    "everything": SANDBOX + "used-images-list: /var/lib/lithos/used/django.txt\n"
        "log-file: django.log\nlog-level: info\ndefault-user: 1\n"
        "additional-hosts: {db: 10.0.0.9}\nauto-clean: false\nresolv-conf: /etc/resolv.conf\n"
        "hosts-file: /etc/hosts\nsecrets-private-key: /etc/lithos/key\n"
        "secrets-namespaces: [django, '']\nconfig-file: /etc/lithos/processes/django.yaml\n",
}


@pytest.mark.parametrize("text", keyed_cases(ACCEPTED_SANDBOXES))
def test_realistic_sandboxes_are_accepted(text: str) -> None:
    problems = config.validate_sandbox(text, "sandboxes/django.yaml")
    assert errors_at(problems) == []


def test_a_relative_image_dir_is_only_a_warning() -> None:
    problems = config.validate_sandbox(SANDBOX.replace("image-dir: /var", "image-dir: var"),
                                       "sandboxes/django.yaml")
    assert [p.severity for p in problems] == ["warning"]


ACCEPTED_PROCESSES = {
    "empty": "",
    "empty mapping": "{}\n",
    "daemon and command": PROCESS + "manage:\n  kind: Command\n  image: django-deploy.0123abcd\n"
                          "  config: /config/manage.yaml\n",
    "with variables": PROCESS + "  variables: {port: '8000'}\n  extra-secrets-namespaces: [x]\n",
    "zero instances": PROCESS.replace("instances: 2", "instances: 0"),
}


@pytest.mark.parametrize("text", keyed_cases(ACCEPTED_PROCESSES))
def test_realistic_process_configs_are_accepted(text: str) -> None:
    problems = config.validate_process(text, "processes/django.yaml", sandbox=sandbox_model())
    assert errors_at(problems) == []


ACCEPTED_CONTAINERS = {
    "tutorial": CONTAINER,
    "command": "kind: Command\nuser-id: 1\nexecutable: /usr/bin/python3\n"
               "arguments: [manage.py, migrate]\nworkdir: /app\ninteractive: true\n",
    "all volume kinds": with_volumes(
        "  /tz: !Readonly /timezones\n  /storage: !Persistent {path: /storage/db, mkdir: true, "
        "mode: 0o700, user: 1, group: 1}\n  /run: !Statedir {path: /run}\n  /cache: !Tmpfs\n"),
    "systemd activation": "executable: /bin/app\nuser-id: 1\ngroup-id: 1\n"
        "variables:\n  http: !TcpPort {activation: systemd}\n  name: !Name\n"
        "  host: !DottedName\n  mode: !Choice [a, b]\ntcp-ports:\n  9000: {fd: 4}\n"
        "environ: {NAME: \"@{name}\"}\n",
    "variable port and options": CONTAINER.replace(
        "8000: {fd: 3}", "\"@{port}\":\n    fd: 3\n    host: 127.0.0.1\n    listen-backlog: 1024\n"
        "    reuse-addr: false\n    reuse-port: true\n    set-non-block: true\n"
        "    external: false") + "variables:\n  port: !TcpPort\n",
    "limits with units": CONTAINER + "memory-limit: 256Mi\nfileno-limit: 4k\ncpu-shares: 0x400\n"
        "restart-timeout: 0\nkill-timeout: 86400\nnormal-exit-codes: [0, 2]\n",
    "files and misc": CONTAINER + "resolv-conf: {mount: null, copy-from-host: false}\n"
        "hosts-file: {mount: true, copy-from-host: true, localhost: false, "
        "public-hostname: true}\nstdout-stderr-file: /state/log\nrestart-process-only: true\n"
        "metadata: {anything: [1, {goes: here}]}\n"
        "secret-environ:\n  DB: [\"v2:abc\", \"v2:def\"]\n",
    "underscore keys and anchors": "_env: &env {LANG: C.UTF-8}\nexecutable: /bin/app\n"
        "user_id: 1\ngroup_id: 1\nenviron:\n  <<: *env\n  PATH: /bin\n",
}


@pytest.mark.parametrize("text", keyed_cases(ACCEPTED_CONTAINERS))
def test_realistic_container_configs_are_accepted(text: str) -> None:
    problems = config.validate_container(text, "config/web.yaml", sandbox=sandbox_model())
    assert errors_at(problems) == []


def test_relative_executable_is_a_warning_not_an_error() -> None:
    problems = config.validate_container(CONTAINER.replace("/usr/bin/python3", "python3"),
                                         "config/web.yaml")
    assert [p.severity for p in problems] == ["warning"]


@pytest.mark.parametrize("value", ["@{lithos:name}", "@{lithos:config_filename}",
                                   "@{lithos:pid}"])
def test_builtin_variables_are_rejected_because_lithos_check_rejects_them(value: str) -> None:
    # lithos_knot substitutes them, but lithos_check 0.18.4 reports them as undefined,
    # so lithos_switch would refuse the config (seen with the real binary)
    text = CONTAINER.replace('GUNICORN_FD: "3"', f'NAME: "{value}"')
    problems = config.validate_container(text, "config/web.yaml")
    assert errors_at(problems) == ["config/web.yaml:8: environ.NAME"]
    assert "lithos_check 0.18.4" in problems[0].message


def test_underscore_digit_separators_are_accepted_like_lithos_0_18_4() -> None:
    problems = config.validate_container(CONTAINER + "memory-limit: 1_000Mi\n", "c.yaml")
    assert errors_at(problems) == []


def test_models_carry_the_parsed_values() -> None:
    container, _ = config.parse_container(CONTAINER, "config/web.yaml")
    assert container is not None
    assert container.user_id == 1 and container.volumes["/tmp"].kind == "Tmpfs"
    assert container.volumes["/tmp"].options["size"] == 16 << 20
    assert container.tcp_ports[0].port == "8000" and container.tcp_ports[0].fd == 3
    sandbox = sandbox_model()
    assert sandbox.name == "django" and sandbox.allows_port(9005)
    assert not sandbox.allows_port(9011)


def test_a_path_argument_is_read_from_disk(tmp_path: Path) -> None:
    (tmp_path / "sandboxes").mkdir()
    (tmp_path / "processes").mkdir()
    sandbox = tmp_path / "sandboxes" / "django.yaml"
    sandbox.write_text(SANDBOX)
    process = tmp_path / "processes" / "django.yaml"
    process.write_text("web:\n  image: a/b\n  config: /c.yaml\n")
    problems = config.validate_process(process, sandbox=sandbox)
    assert errors_at(problems) == [f"{process}:1: web.image"]
    missing = config.validate_master(tmp_path / "nope.yaml")
    assert errors_at(missing) == [f"{tmp_path / 'nope.yaml'}:1: (top)"]


def test_every_problem_is_reported_at_once() -> None:
    master = config.validate_master("syslog-name: x\nruntime-dir: ~\n", "m.yaml")
    assert sorted(errors_at(master)) == ["m.yaml:1: syslog-name", "m.yaml:2: runtime-dir"]
    sandbox = config.validate_sandbox("allow-users: []\nallow-groups: [1]\ndefault-group: 1\n"
                                      "auto-clean: yes\n", "s.yaml")
    assert sorted(errors_at(sandbox)) == ["s.yaml:1: allow-users", "s.yaml:4: auto-clean"]


def test_a_bad_range_is_not_also_reported_as_an_empty_list() -> None:
    problems = config.validate_sandbox("allow-users: [a-b]\nallow-groups: [1]\n"
                                       "default-group: 1\n", "s.yaml")
    assert errors_at(problems) == ["s.yaml:1: allow-users[0]"]


def test_a_variable_with_a_wrong_tag_is_not_also_reported_as_undefined() -> None:
    text = ("kind: Daemon\nexecutable: /bin/app\narguments: ['--port=@{port}']\n"
            "variables:\n  port: !TcpPrt\n    activation: systemd\n")
    problems = config.validate_container(text, "c.yaml")
    assert [(p.line, p.column, p.key, p.message) for p in problems] == [
        (5, 9, "variables.port", "unknown tag !TcpPrt (did you mean !TcpPort?)")]
    problems = config.validate_container(text.replace("@{port}", "@{other}"), "c.yaml")
    assert [p.key for p in problems] == ["variables.port", "arguments[0]"]
