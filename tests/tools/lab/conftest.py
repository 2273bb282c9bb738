"""One real docker lab for every lab test: brought up once, removed at the end.

When the lab cannot start, every test that needs it fails with the reason
(it never skips: a lab test that cannot run is a failure, in CI and locally).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers import docker_lab_session
from tools.lab.lab import Lab, open_lab

TEST_LAB = f"deploydocs.lab-t{os.getpid()}"
"""The shared lab's name: one lab per pytest process (never the maintainer's default lab,
and never another test run's); ``lab reap`` removes it if the process dies without
taking it down."""


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The shared three-node docker lab (with real lithos when it can be built)."""
    with docker_lab_session(
            lambda: open_lab("docker", name=TEST_LAB, progress=lambda _line: None),
            TEST_LAB) as the_lab:  # any reason the lab cannot start is the test's failure
        yield the_lab


@pytest.fixture(scope="session")
def lab_record(lab: Lab) -> dict[str, object]:
    """What the shared lab's ``up`` recorded (images, lithos, nodes)."""
    from tools.lab import state

    return state.read_record(TEST_LAB)

