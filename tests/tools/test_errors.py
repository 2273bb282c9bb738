"""The exit-code table and the errors carrying it (:mod:`tools.errors`)."""

from __future__ import annotations

import io
import json

import click
import pytest
from click.testing import CliRunner

from tools import errors
from tools.errors import ExitCode


def test_the_table_has_four_codes() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0, "FAILED": 1, "BAD_INPUT": 2, "ENVIRONMENT": 3}


@pytest.mark.parametrize(("error", "code", "kind"), [
    (errors.CheckFailed, 1, "failed"),
    (errors.BadInput, 2, "bad_input"),
    (errors.NoTarget, 2, "no_target"),
    (errors.EnvironmentProblem, 3, "environment"),
    (errors.Unreachable, 3, "unreachable"),
    (errors.DaemonUnreachable, 3, "docker_unreachable"),
    (errors.MissingBinary, 3, "missing_binary"),
    (errors.MissingDependency, 3, "missing_dependency"),
])
def test_each_error_carries_its_code_and_kind(error: type[errors.ToolsError], code: int,
                                              kind: str) -> None:
    err = error("what went wrong")
    assert (err.exit_code, err.kind) == (code, kind)
    assert isinstance(err, errors.ToolsError) and isinstance(err, click.ClickException)


def test_the_json_document_has_kind_message_exit_code_and_the_hint_if_any() -> None:
    assert errors.BadInput("x.yaml:3: bad").as_document() == {
        "ok": False, "error": {"kind": "bad_input", "message": "x.yaml:3: bad", "exit_code": 2}}
    hinted = errors.Unreachable("cannot reach node1", hint="is sshd running?").as_document()
    assert hinted["error"]["hint"] == "is sshd running?"


def test_an_error_shows_as_an_error_line_and_a_hint_line() -> None:
    out = io.StringIO()
    errors.MissingBinary("rsync is missing", hint="apt-get install rsync").show(out)
    assert out.getvalue() == "error: rsync is missing\nhint: apt-get install rsync\n"


def test_no_target_says_every_way_to_name_machines() -> None:
    message = errors.NoTarget().message
    assert message == errors.NO_TARGET
    for way in ("--inventory FILE", "DEPLOYDOCS_INVENTORY", "hosts.toml",
                "`lab shell workstation`"):
        assert way in message


def test_a_group_run_on_its_own_ends_the_same_way() -> None:
    @click.command()
    def broken() -> None:
        raise errors.DaemonUnreachable("cannot reach the Docker daemon", hint="start it")

    result = CliRunner().invoke(broken, [])
    assert result.exit_code == 3
    assert result.stderr == "error: cannot reach the Docker daemon\nhint: start it\n"
    assert "Usage:" not in result.output


def test_a_usage_error_has_a_json_document_too() -> None:
    document = errors.usage_document(click.UsageError("give --file"))
    assert json.loads(json.dumps(document)) == {
        "ok": False, "error": {"kind": "usage", "message": "give --file", "exit_code": 2}}
