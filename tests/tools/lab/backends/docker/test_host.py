"""The docker backend's node host, without docker: how it reads a command's output."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.hosts import CommandResult
from tools.lab.backends.docker import DockerHost


class _Replies:
    """What successive runs of a command print (the last one repeats)."""

    def __init__(self, *replies: tuple[int, str]) -> None:
        self._replies: Iterator[tuple[int, str]] = iter(replies)
        self._last = replies[-1]
        self.runs = 0

    def __call__(self, command: str, timeout: float | None = None) -> CommandResult:
        self.runs += 1
        status, out = next(self._replies, self._last)
        return CommandResult(command, status, out, "", 0.0)


def _host(monkeypatch: pytest.MonkeyPatch, replies: _Replies) -> DockerHost:
    host = DockerHost(client=None, lab_name="deploydocs.lab-test", name="node1")  # type: ignore[arg-type]
    monkeypatch.setattr(host, "run", replies)
    return host


def test_read_runs_again_when_docker_lost_a_successful_commands_output(
        monkeypatch: pytest.MonkeyPatch) -> None:
    replies = _Replies((0, ""), (0, ""), (0, "ssh-ed25519 AAAA root@node1\n"))
    host = _host(monkeypatch, replies)
    result = host.read("cat key.pub", lambda out: len(out.split()) >= 2)
    assert result.stdout.split()[:2] == ["ssh-ed25519", "AAAA"]
    assert replies.runs == 3


def test_read_returns_a_failure_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = _Replies((1, ""), (0, "late"))
    host = _host(monkeypatch, replies)
    assert host.read("cat missing", lambda out: bool(out)).exit_status == 1
    assert replies.runs == 1


def test_read_gives_up_at_its_deadline_with_the_incomplete_output(
        monkeypatch: pytest.MonkeyPatch) -> None:
    replies = _Replies((0, ""))
    host = _host(monkeypatch, replies)
    result = host.read("cat empty", lambda out: bool(out), deadline=0.5)
    assert result.ok and result.stdout == ""
    assert replies.runs >= 2
