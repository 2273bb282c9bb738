"""One real docker lab for every lab test: brought up once, removed at the end.

When the lab cannot start, every test that needs it fails with the reason
(it never skips: a lab test that cannot run is a failure, in CI and locally).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tools.lab.lab import Lab, open_lab

TEST_LAB = f"deploydocs.lab-t{os.getpid()}"
"""The shared lab's name: one lab per pytest process (never the maintainer's default lab,
and never another test run's); ``lab reap`` removes it if the process dies without
taking it down."""


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The shared three-node docker lab (with real lithos when it can be built)."""
    from tools.lab.backends.docker import DockerLab

    try:
        the_lab = open_lab("docker", name=TEST_LAB, progress=lambda _line: None)
    except Exception as err:  # any reason the lab cannot start is the test's failure
        pytest.fail(f"the docker lab could not start: {type(err).__name__}: {err}")
    try:
        yield the_lab
    finally:
        the_lab.close()
        DockerLab(TEST_LAB).down()


@pytest.fixture(scope="session")
def lab_record(lab: Lab) -> dict[str, object]:
    """What the shared lab's ``up`` recorded (images, lithos, nodes)."""
    from tools.lab import state

    return state.read_record(TEST_LAB)

