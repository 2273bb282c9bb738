"""Persistent sessions: state persists, streams stay apart, hangs are cut, bulk output survives."""

from __future__ import annotations

import hashlib

import pytest

from tools.lab.lab import Lab
from tools.lab.session import Session


def _local() -> Session:
    return Session(["setsid", "-w", "bash", "--noprofile", "--norc"], "local-test")


def test_local_session_keeps_cwd_and_env_between_commands() -> None:
    with _local() as session:
        assert session.run("cd /tmp && export GREETING=hi").ok
        result = session.run("pwd; echo $GREETING")
        assert result.stdout == "/tmp\nhi\n"


def test_local_session_output_without_trailing_newline_is_exact() -> None:
    with _local() as session:
        assert session.run("printf 'no newline'").stdout == "no newline"
        assert session.run("printf '\\n\\n'").stdout == "\n\n"


def test_local_session_reports_exit_and_restarts_after_the_shell_exits() -> None:
    with _local() as session:
        gone = session.run("exit 7")
        assert gone.exit_status == 7
        assert "fresh shell" in gone.stderr
        assert session.run("echo back").stdout == "back\n"


def test_local_session_command_text_is_not_parsed_before_it_runs() -> None:
    with _local() as session:
        broken = session.run("echo 'unterminated")
        assert broken.exit_status != 0 and not broken.timed_out
        heredoc = session.run("cat <<'END'\n$HOME stays literal\nEND")
        assert heredoc.stdout == "$HOME stays literal\n"
        assert session.run("echo still here").stdout == "still here\n"


@pytest.mark.lab
def test_session_keeps_cwd_and_env_on_a_node(lab: Lab) -> None:
    session = lab.session("node1", "persist")
    assert session.run("mkdir -p /srv/work && cd /srv/work && export STAGE=two").ok
    assert session.run("pwd; echo $STAGE").stdout == "/srv/work\ntwo\n"
    assert lab.session("node1", "persist") is session
    other = lab.session("node1", "other")
    assert other.run("echo ${STAGE:-unset}").stdout == "unset\n"


@pytest.mark.lab
def test_session_keeps_stdout_stderr_and_exit_status_apart(lab: Lab) -> None:
    session = lab.session("node2")
    result = session.run("echo out; echo err >&2; echo out2; exit_with() { return $1; }; "
                         "exit_with 3")
    assert (result.stdout, result.stderr, result.exit_status) == ("out\nout2\n", "err\n", 3)
    assert session.run("false").exit_status == 1
    assert session.run("true").exit_status == 0
    assert [cmd for cmd, _ in session.transcript][-2:] == ["false", "true"]


@pytest.mark.lab
def test_hung_command_times_out_and_the_session_recovers(lab: Lab) -> None:
    session = lab.session("node3", "hang")
    session.run("cd /etc && export MARK=before")
    result = session.run("echo started; sleep 600", timeout=2)
    assert result.timed_out and result.exit_status == 124
    assert result.stdout == "started\n"
    assert "sleep 600" in result.stderr and "fresh shell" in result.stderr
    after = session.run("pwd; echo ${MARK:-reset}; pgrep -f 'sleep 600' || echo no-sleep")
    assert after.ok
    assert after.stdout.splitlines() == ["/", "reset", "no-sleep"]


@pytest.mark.lab
def test_ten_megabytes_of_output_arrive_intact(lab: Lab) -> None:
    session = lab.session("node1", "bulk")
    result = session.run(
        "head -c 7500000 /dev/urandom | base64 -w 76 > /root/bulk.txt; "
        "sha256sum /root/bulk.txt | cut -d' ' -f1 >&2; cat /root/bulk.txt",
        timeout=120,
    )
    assert result.ok, result.stderr[-500:]
    assert len(result.stdout) >= 10_000_000
    assert hashlib.sha256(result.stdout.encode()).hexdigest() == result.stderr.strip()


@pytest.mark.lab
def test_workstation_session_runs_in_its_scratch_dir(lab: Lab) -> None:
    session = lab.session("workstation")
    assert session.run("pwd").stdout.strip() == str(lab.hosts["workstation"].scratch)  # type: ignore[attr-defined]
