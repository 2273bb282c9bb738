"""Comparison: exact by default, wildcards, unordered lines, normalizers for comparison only."""

from __future__ import annotations

import pytest
from deploydocs.compare import compare_output, lines_match
from deploydocs.normalize import NORMALIZERS, normalize
from hypothesis import given
from hypothesis import strategies as st


def test_exact_match_ignores_trailing_whitespace_and_final_newlines() -> None:
    assert compare_output(["a", "b"], "a  \nb\n\n").matched


def test_a_different_line_fails_with_a_unified_diff_of_the_raw_text() -> None:
    result = compare_output(["pid 1", "ok"], "pid 2\nok\n", label_expected="expected (x.rst:3)",
                            label_observed="observed on node1[default]")
    assert not result.matched
    assert result.diff.splitlines() == [
        "--- expected (x.rst:3)", "+++ observed on node1[default]", "@@ -1,2 +1,2 @@",
        "-pid 1", "+pid 2", " ok"]


@pytest.mark.parametrize(("expected", "observed", "matched"), [
    (["a", "...", "z"], "a\nz\n", True),
    (["a", "...", "z"], "a\nb\nc\nz\n", True),
    (["a", "...", "z"], "a\nb\n", False),
    (["..."], "", True),
    (["up ... seconds"], "up 12 seconds\n", True),
    (["up ... seconds"], "up 12 minutes\n", False),
    (["a"], "", False),
    ([], "something\n", False),
])
def test_wildcards(expected: list[str], observed: str, matched: bool) -> None:
    assert compare_output(expected, observed).matched is matched


def test_unordered_compares_lines_as_a_multiset() -> None:
    assert compare_output(["b", "a"], "a\nb\n", unordered=True).matched
    assert not compare_output(["a", "a"], "a\nb\n", unordered=True).matched
    assert compare_output(["b", "..."], "a\nb\nc\n", unordered=True).matched


VOLATILE = {  # normalizer: (expected, observed) pairs that differ only in a volatile value
    "timestamps": [("at 2026-11-25T19:52:01Z", "at 2027-01-02T03:04:05.123+01:00"),
                   ("Nov 25 19:52:01 node1 up", "Dec  3 07:00:00 node1 up")],
    "durations": [("took 1.5s", "took 230ms"), ("in 3 seconds", "in 12 minutes")],
    "pids": [("lithos_knot pid=4242", "lithos_knot pid=17"), ("started [311]", "started [9]")],
    "machine-ids": [("id 0123456789abcdef0123456789abcdef",
                     "id fedcba9876543210fedcba9876543210")],
    "image-hashes": [("image sha256:" + "a" * 64, "image sha256:" + "b" * 64),
                     ("hello.5f3a9c1e", "hello.0b1c2d3e")],
    "ips": [("peer 172.18.0.2:22682", "peer 10.1.2.3:22682"), ("addr fd00::1", "addr fd00::2")],
    "container-ids": [("ctr 3f2a1b4c5d6e", "ctr 0a1b2c3d4e5f")],
    "uuids": [("run 3f2a1b4c-1d2e-4f00-9a8b-0123456789ab",
               "run 00000000-1111-4222-8333-444444444444")],
}


@pytest.mark.parametrize(("name", "expected", "observed"), [
    pytest.param(name, expected, observed, id=f"{name}-{expected[:24]}")
    for name, pairs in VOLATILE.items() for expected, observed in pairs])
def test_each_normalizer_makes_volatile_values_compare_equal(name: str, expected: str,
                                                              observed: str) -> None:
    assert not compare_output([expected], observed).matched
    assert compare_output([expected], observed, normalizers=[name]).matched


def test_normalizers_do_not_touch_what_is_reported() -> None:
    result = compare_output(["at 2026-11-25T19:52:01Z", "x"], "at 2027-01-01T00:00:00Z\ny\n",
                            normalizers=["timestamps"])
    assert "+at 2027-01-01T00:00:00Z" in result.diff


def test_every_normalizer_is_tested_above() -> None:
    assert set(NORMALIZERS) == {"timestamps", "durations", "pids", "machine-ids",
                                "image-hashes", "ips", "container-ids", "uuids"}


def test_unknown_normalizer_is_an_error() -> None:
    with pytest.raises(KeyError):
        normalize("x", ["colours"])


@given(st.lists(st.text(alphabet="abc .", max_size=6), max_size=6))
def test_output_always_matches_itself_and_a_lone_wildcard(lines: list[str]) -> None:
    observed = [line.rstrip() for line in lines]
    while observed and not observed[-1]:
        observed.pop()
    if any("..." in line for line in observed):
        return
    assert lines_match(observed, observed)
    assert lines_match(["..."], observed)
