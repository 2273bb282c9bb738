"""The lab's provenance on the report: one line per binary, identical ones grouped."""

from __future__ import annotations

from deploydocs.report import NO_SHA, Binary, lab_binaries, lab_lines

A = "a" * 64
B = "b" * 64


def node(tools: dict[str, str], sha: dict[str, str] | None = None, os: str = "Debian 12"
         ) -> dict[str, object]:
    info: dict[str, object] = {"os": os, "tools": tools}
    if sha is not None:
        info["sha256"] = sha
    return info


def test_identical_binaries_share_a_line_and_different_ones_do_not() -> None:
    fp = {"nodes": {
        "node1": node({"cantal-agent": "cantal-agent v0.6.10"}, {"cantal-agent": A}),
        "node2": node({"cantal-agent": "0.6.10"}, {"cantal-agent": A}),
        "node3": node({"cantal-agent": "0.6.10"}, {"cantal-agent": B}),
    }}
    assert lab_binaries(fp) == [
        Binary("cantal-agent", "0.6.10", A, ("node1", "node2")),
        Binary("cantal-agent", "0.6.10", B, ("node3",)),
    ]


def test_a_different_version_splits_the_line_even_without_hashes() -> None:
    fp = {"nodes": {"node1": node({"verwalter": "1.13.3"}), "node2": node({"verwalter": "1.14"})}}
    assert [b.describe() for b in lab_binaries(fp)] == [
        "verwalter 1.13.3 (sha256 not recorded) on node1",
        "verwalter 1.14 (sha256 not recorded) on node2",
    ]


def test_the_workstation_is_a_host_too() -> None:
    fp = {"nodes": {"node1": node({"vagga": "v0.8.1"}, {"vagga": A})},
          "workstation": {"os": "Ubuntu 24.04", "tools": {"vagga": "vagga v0.8.1"},
                          "sha256": {"vagga": A}}}
    assert [b.describe() for b in lab_binaries(fp)] == [
        "vagga 0.8.1 (sha256 aaaaaaaaaaaa) on node1 workstation"]
    assert lab_lines(fp)[0] == "? lab: Debian 12 on node1; Ubuntu 24.04 on workstation"


def test_hashes_are_cut_to_twelve_digits_and_odd_values_are_not_shown() -> None:
    fp = {"nodes": {"node1": node({"x": "1.0", "y": "2.0", "z": "3.0"},
                                  {"x": "sha256:" + A.upper(), "y": "not-a-hash", "z": None})}}
    shas = {b.tool: b.short_sha for b in lab_binaries(fp)}
    assert shas == {"x": "sha256 aaaaaaaaaaaa", "y": NO_SHA, "z": NO_SHA}


def test_broken_or_missing_parts_of_a_fingerprint_do_not_crash() -> None:
    assert lab_binaries({}) == []
    assert lab_binaries({"nodes": "garbage", "workstation": 3}) == []
    assert lab_binaries({"nodes": {"node1": {"tools": None, "sha256": "x"}}}) == []
    assert lab_lines({"backend": "qemu"}) == ["qemu lab", "no real tools recorded"]
    # An older record listing tools for the whole lab, with no host.
    assert [b.describe() for b in lab_binaries({"tools": {"lithos_tree": "0.18.4"}})] == [
        "lithos_tree 0.18.4 (sha256 not recorded)"]


def test_the_lab_lines_give_backend_systems_image_then_tools() -> None:
    fp = {"backend": "docker", "images": {"id": "sha256:" + "c" * 64},
          "nodes": {"node1": node({"lithos_tree": "0.18.4"}, {"lithos_tree": B}),
                    "node2": node({"lithos_tree": "0.18.4"}, {"lithos_tree": B})}}
    assert lab_lines(fp) == [
        "docker lab: Debian 12 on node1 node2",
        "image sha256:cccccccccccc",
        "lithos_tree 0.18.4 (sha256 bbbbbbbbbbbb) on node1 node2",
    ]
