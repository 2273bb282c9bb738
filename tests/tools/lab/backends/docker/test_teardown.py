"""Nothing of a lab outlives it: after down, after Ctrl-C, after kill -9 and reap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest

from tools.lab import state
from tools.lab.backends.docker import DockerLab
from tools.lab.backends.docker.reap import labelled, reap
from tools.lab.base import LAB_LABEL
from tools.lab.lab import open_lab
from tools.lab.state import PROJECT_ROOT
from tools.lab.workstation import scratch_dir

from ...conftest import TEST_LAB

pytestmark = pytest.mark.lab


def _left(client: docker.DockerClient, name: str) -> list[str]:
    found = labelled(client, {LAB_LABEL: name})
    return [f"{kind} {item[1]}" for kind, items in found.items() for item in items]


def _start_up(name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # Same content as the shared lab's nodes, so the node image comes from the cache.
        [sys.executable, "-m", "tools", "lab", "up", "--name", name],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait_for_a_container(client: docker.DockerClient, name: str,
                          proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 600  # a cold base image build may come first
    while time.monotonic() < deadline:
        if labelled(client, {LAB_LABEL: name})["container"]:
            return
        if proc.poll() is not None:
            raise AssertionError(f"lab up ended early: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.1)
    raise AssertionError("lab up made no container within 600 s")


@contextmanager
def _up_with_a_first_container(
        which: str, *, reap_after: bool = False,
) -> Iterator[tuple[str, docker.DockerClient, subprocess.Popen[bytes]]]:
    """``lab up`` of lab ``<TEST_LAB>-<which>`` in a process of its own, yielded (name, docker
    client, process) once it has made a container; on the way out the process is killed if it
    still runs, what dead labs left is reaped (with *reap_after*) and the lab taken down."""
    name = f"{TEST_LAB}-{which}"
    client = docker.from_env()
    proc = _start_up(name)
    try:
        _wait_for_a_container(client, name, proc)
        yield name, client, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        if reap_after:
            reap(client)
        DockerLab(name).down()


def test_tools_dir_is_installed_and_down_removes_every_labelled_resource(
    lab, tmp_path: Path
) -> None:
    name = f"{TEST_LAB}-down"
    tools_dir = tmp_path / "bin"
    tools_dir.mkdir()
    extra = tools_dir / "deploydocs-lab-extra"  # any executable; real tools are handled alike
    extra.write_text("#!/bin/sh\necho extra-ran\n")
    extra.chmod(0o755)
    (tools_dir / "notes.txt").write_text("not executable: not installed\n")
    doomed = DockerLab(name)
    try:
        record = doomed.up(tools_dir=tools_dir, with_lithos=False, progress=lambda _line: None)
        assert record["tools_dir"] == str(tools_dir.resolve())
        assert state.read_record(name)["tools_dir"] == str(tools_dir.resolve())
        # Three bare nodes and the package mirror.
        assert len(labelled(doomed.client, {LAB_LABEL: name})["container"]) == 4
        for host in doomed.hosts().values():
            # The tools dir plays the reader's downloads: on the workstation, never copied
            # to a node by the lab (the tutorial's own `copy` step does that).
            ran = host.run("command -v deploydocs-lab-extra || echo absent")
            assert ran.stdout.strip() == "absent"
            assert "lithos_tree" not in host.info().tools
        # A command attaching to the lab later gets the same tools dir on the workstation.
        attached = open_lab("docker", name=name, start=False)
        station = attached.hosts["workstation"]
        scratch = station.scratch  # type: ignore[attr-defined]
        assert scratch == scratch_dir(name)
        ran = station.run("command -v deploydocs-lab-extra && deploydocs-lab-extra && "
                          "mkdir -p build && echo output > build/file")
        assert ran.stdout.splitlines() == [str(tools_dir / "deploydocs-lab-extra"), "extra-ran"]
        assert (scratch / "build" / "file").exists()
        attached.close()
    finally:
        removed = doomed.down()
    assert any(item.startswith("network ") for item in removed)
    assert f"workstation files {scratch}" in removed
    assert not scratch.exists()
    assert _left(doomed.client, name) == []


def test_ctrl_c_during_up_leaves_nothing(lab) -> None:
    with _up_with_a_first_container("sigint") as (name, client, proc):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    assert _left(client, name) == []


def test_reap_removes_what_a_killed_up_left(lab) -> None:
    with _up_with_a_first_container("kill", reap_after=True) as (name, client, proc):
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert _left(client, name), "the killed run should have left something to reap"
        reaped = subprocess.run(
            [sys.executable, "-m", "tools", "lab", "reap"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=300,
        )
        assert reaped.returncode == 0, reaped.stderr
        assert _left(client, name) == []
        # The shared lab is complete and recorded: reap is not down, it stays.
        assert DockerLab(lab.name).is_up()
