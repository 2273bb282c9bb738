"""Verify, render, strict and accept builds of the test project, end to end.

Each test runs on the local transport double and, marked ``lab``, on the
real docker lab (see ``conftest.lab_spec``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.ext.conftest import LOCAL_SPEC, build

pytestmark = pytest.mark.timeout(600)

FULL_SUMMARY = "23 passed, 0 failed, 1 not run (verwalter absent: 1 block)"


def add_page(src: Path, name: str, text: str) -> None:
    """Add a page to the project and to its toctree."""
    (src / f"{name}.rst").write_text(text)
    index = src / "index.rst"
    index.write_text(index.read_text().replace("   report\n", f"   {name}\n   report\n"))


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing *needle*."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def records(src: Path, doc: str) -> dict:
    return json.loads((src / "_verified" / f"{doc}.json").read_text())["blocks"]


def test_verify_runs_every_block_and_prints_the_summary(project: Path, lab_spec: str) -> None:
    result = build(project, "verify", lab_spec)
    assert result.summary == FULL_SUMMARY
    assert "WARNING" not in result.warnings, result.warnings
    junit = (result.outdir / "deploydocs" / "junit.xml").read_text()
    assert 'skipped message="verwalter absent"' in junit
    transcript = (result.outdir / "deploydocs" / "transcripts" / "node1-admin.txt").read_text()
    assert "hello from work" in transcript


def test_wrong_expected_output_fails_at_its_line_with_a_diff(project: Path,
                                                             lab_spec: str) -> None:
    add_page(project, "wrong", "Wrong\n=====\n\n.. lab-run:: node1\n\n"
                               "   $ echo hello\n   hallo\n   $ echo never reached\n")
    result = build(project, "verify", lab_spec)
    line = line_of(project / "wrong.rst", "$ echo hello")
    assert (f"wrong.rst:{line}: WARNING: lab-run failed on node1[default]: output differs: "
            "$ echo hello") in result.warnings
    assert f"--- expected ({project / 'wrong.rst'}:{line})" in result.warnings
    assert "+++ observed on node1[default]" in result.warnings
    assert "\n    -hallo\n    +hello" in result.warnings
    assert "last transcript lines of node1[default]:" in result.warnings
    assert "1 failed" in result.summary


def test_wait_until_converges_and_gives_up_at_its_deadline(project: Path,
                                                           lab_spec: str) -> None:
    add_page(project, "never", "Never\n=====\n\n.. lab-run:: node2\n   :wait-until: 3\n\n"
                               "   $ ls /tmp/deploydocs-test-lab/never-there\n"
                               "   /tmp/deploydocs-test-lab/never-there\n")
    result = build(project, "verify", lab_spec)
    waited = [r for r in records(project, "basics").values() if r["lineno"] == 80]
    assert waited[0]["status"] == "passed"
    assert "did not converge within 3s" in result.warnings


def test_capture_on_node1_is_used_on_node2(project: Path, lab_spec: str) -> None:
    result = build(project, "verify", lab_spec)
    blocks = sorted(records(project, "basics").values(), key=lambda r: r["lineno"])
    capture = next(r for r in blocks if r["captures"])
    assert re.fullmatch(r"[0-9a-f-]{36}", capture["captures"]["ID"])
    user = next(r for r in blocks if r["lineno"] > capture["lineno"])
    assert user["hosts"] == ["node2"] and user["status"] == "passed"
    assert f"captured: ${{ID}} = {capture['captures']['ID']}" in result.html("basics")


def test_fault_is_healed_after_a_failure(project: Path, lab_spec: str,
                                         local_lab_root: Path) -> None:
    add_page(project, "broken", "Broken\n======\n\n.. lab-fault:: node3\n   :action: stop\n\n"
                                ".. lab-run:: node2\n\n   $ echo wrong\n   right\n")
    result = build(project, "verify", lab_spec)
    assert "lab-run failed on node2[default]" in result.warnings
    assert "heal stop on node3 (end of page)" in result.status
    if lab_spec == LOCAL_SPEC:
        log = (local_lab_root / "faults.log").read_text().splitlines()
        assert log[-2:] == ["fault node3 stop", "heal node3 stop"]
    else:
        from tests.ext.docker_lab import open_test_lab

        lab = open_test_lab(progress=lambda line: None)
        try:
            assert lab.session("node3", "after-heal").run("hostname").stdout == "node3\n"
        finally:
            lab.close()


def test_hung_block_times_out_and_the_build_goes_on(project: Path, lab_spec: str) -> None:
    add_page(project, "hung", "Hung\n====\n\n.. lab-run:: node2\n   :session: slow\n"
                              "   :timeout: 2\n\n   $ sleep 600\n\n"
                              ".. lab-run:: node2\n   :session: other\n\n"
                              "   $ echo still here\n   still here\n")
    result = build(project, "verify", lab_spec)
    assert "timed out after 2s on node2[slow]: $ sleep 600" in result.warnings
    hung = sorted(records(project, "hung").values(), key=lambda r: r["lineno"])
    assert [r["status"] for r in hung] == ["failed", "passed"]


def test_missing_tool_is_not_run_and_fails_under_strict(project: Path, lab_spec: str) -> None:
    relaxed = build(project, "verify", lab_spec)
    assert relaxed.summary == FULL_SUMMARY
    assert "deploydocs (strict)" not in relaxed.warnings
    strict = build(project, "verify", lab_spec, strict=True, out="strict")
    line = line_of(project / "basics.rst", ":requires: verwalter") - 1
    assert (f"basics.rst:{line}: WARNING: deploydocs (strict): lab-run not run: "
            "verwalter absent") in strict.warnings


def test_render_build_runs_nothing_and_shows_recorded_badges(
        project: Path, lab_spec: str, started_processes: list[list[str]]) -> None:
    build(project, "verify", lab_spec)
    started_processes.clear()
    render = build(project, "render", out="render", fresh=True)
    assert started_processes == []
    assert "WARNING" not in render.warnings, render.warnings
    page = render.html("basics")
    assert page.count("✔ verified") == 12  # 14 blocks: one hidden, one not run
    assert "◌ not run" in page and "verwalter absent" in page
    assert "hello from work" in page
    # The recorded output is shown (the real uuid), not the "..." written on the page.
    uuid = next(r["captures"]["ID"] for r in records(project, "basics").values()
                if r["captures"])
    assert uuid in page
    report = render.html("report")
    assert FULL_SUMMARY in report


def test_second_verify_reruns_nothing_and_an_edit_reruns_from_there(
        project: Path, lab_spec: str) -> None:
    build(project, "verify", lab_spec)
    again = build(project, "verify", lab_spec)
    assert again.summary == FULL_SUMMARY.replace("passed,", "passed (23 from cache),")
    assert "re-running" not in again.status
    page = project / "basics.rst"
    page.write_text(page.read_text().replace('echo "$GREETING from', 'echo "$GREETING, from')
                    .replace("   hello from work", "   hello, from work"))
    edited = build(project, "verify", lab_spec)
    line = line_of(page, "$GREETING, from") - 3
    assert (f"re-running from {page}:{line} onward in session node1[admin]: "
            "the block is new or changed") in edited.status
    rerun = [r["lineno"] for r in records(project, "basics").values()
             if not r["cached"] and r["status"] != "not run"]
    assert rerun == [line]
    assert " 0 failed" in edited.summary  # the session resumed where the first build left it


def test_accept_rewrites_the_expected_output_in_the_source(project: Path,
                                                           local_lab_root: Path) -> None:
    add_page(project, "accepted", "Accepted\n========\n\n.. lab-run:: node1\n\n"
                                  "   $ printf 'one\\ntwo\\n'\n   old\n   $ echo same\n   same\n")
    (project / "more.md").write_text("# More\n\n```{lab-run} node2\n$ echo fresh\nstale\n```\n")
    index = project / "index.rst"
    index.write_text(index.read_text().replace("   report\n", "   more\n   report\n"))
    build(project, "accept", LOCAL_SPEC)
    assert (project / "accepted.rst").read_text().endswith(
        "   $ printf 'one\\ntwo\\n'\n   one\n   two\n   $ echo same\n   same\n")
    assert "```{lab-run} node2\n$ echo fresh\nfresh\n```" in (project / "more.md").read_text()
    render = build(project, "render", out="render")
    assert "never verified" not in render.html("accepted")
    assert "✔ verified" in render.html("more")


def test_a_host_outside_the_lab_is_refused_before_anything_runs(
        project: Path, local_lab_root: Path) -> None:
    add_page(project, "outside", "Outside\n=======\n\n.. lab-run:: db.example.com\n\n"
                                 "   $ rm -rf /srv/data\n")
    result = build(project, "verify", LOCAL_SPEC)
    assert ("outside.rst:4: WARNING: deploydocs: host db.example.com is not in the lab "
            "(lab hosts: node1, node2, node3, workstation); nothing was run") in result.warnings
    assert not (project / "_verified").exists()
    assert [p.name for p in local_lab_root.iterdir() if any(p.iterdir())] == []
    assert "never verified (plan refused: 1 problem)" in result.html("basics")
