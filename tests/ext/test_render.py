"""What a block looks like on the page: the machine label, the badges and their tooltips."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploydocs.blocks import Block
from deploydocs.display import (
    HOST_CLASS,
    View,
    badge,
    describe_fingerprint,
    describe_hosts,
    fingerprint_tooltip,
)
from deploydocs.kinds.fault import FaultOptions
from deploydocs.kinds.file import FileOptions
from deploydocs.kinds.run import Command, RunOptions
from deploydocs.records import BlockRecord, Status
from deploydocs.render import block_nodes, lab_section
from docutils import nodes

from tests.ext.conftest import build

SHA_AGENT = "1a2b3c4d5e6f" + "7" * 52
SHA_TREE = "abcdef012345" + "0" * 52

NEW_FP = {
    "backend": "docker",
    "nodes": {
        name: {"os": "Debian GNU/Linux 12 (bookworm)",
               "tools": {"lithos_tree": "0.18.4", "cantal-agent": "cantal-agent v0.6.10"},
               "sha256": {"lithos_tree": SHA_TREE, "cantal-agent": SHA_AGENT}}
        for name in ("node1", "node2", "node3")
    },
    "workstation": {"os": "Ubuntu 24.04", "tools": {"vagga": "v0.8.1"},
                    "sha256": {"vagga": "f" * 64}},
    "images": {"id": "sha256:" + "0123456789ab" * 5 + "cdef"},
}
OLD_FP = {
    "backend": "docker",
    "nodes": {"node1": {"os": "Debian GNU/Linux 12 (bookworm)",
                        "tools": {"lithos_tree": "0.18.4",
                                  "lithos_knot": "present at /usr/local/bin/lithos_knot"}}},
}


def run_block(hosts: tuple[str, ...]) -> Block:
    return Block("lab-run", "tutorial/x", "x.rst", 10, hosts, argument=" ".join(hosts),
                 content=("$ echo hi", "hi"), body=(Command("echo hi", ("hi",), 11),),
                 options=RunOptions())


def rec(status: str, hosts: list[str], reason: str = "") -> BlockRecord:
    return BlockRecord("id#1", 10, "lab-run", hosts, "default", status, reason,
                       verified_at="2026-11-26T00:31:24Z", duration=1.5)


@pytest.mark.parametrize(("hosts", "nodes_", "label"), [
    (("node1",), ("node1", "node2", "node3"), "on node1"),
    (("all",), ("node1", "node2", "node3"), "on every node (node1 node2 node3)"),
    (("all",), ("a", "b"), "on every node (a b)"),
    (("workstation",), ("node1",), "on the workstation"),
    (("node1", "node2"), ("node1", "node2", "node3"), "on node1 and node2"),
    (("node3", "node1", "node2"), ("node1", "node2", "node3"),
     "on every node (node1 node2 node3)"),
    (("all", "workstation"), ("node1", "node2"), "on every node (node1 node2) and the workstation"),
])
def test_hosts_are_described_for_the_label(hosts: tuple[str, ...], nodes_: tuple[str, ...],
                                           label: str) -> None:
    assert describe_hosts(hosts, nodes_) == label


def test_a_run_block_has_its_machine_label_above_the_commands() -> None:
    result = block_nodes(run_block(("node2",)), View(None, note="no verify run recorded"))
    assert isinstance(result[0], nodes.paragraph) and HOST_CLASS in result[0]["classes"]
    assert result[0].astext() == "on node2"
    assert isinstance(result[1], nodes.literal_block)
    assert result[1].astext().startswith("$ echo hi")


def test_all_is_spelt_out_with_the_nodes_the_record_ran_on() -> None:
    block = run_block(("all",))
    view = View(rec(Status.PASSED, ["n1", "n2"]), OLD_FP)
    assert block_nodes(block, view)[0].astext() == "on every node (n1 n2)"
    # Without a record, the lab's nodes as configured.
    assert block_nodes(block, View(None), ["a", "b", "c"])[0].astext() == (
        "on every node (a b c)")


def test_a_file_block_is_labelled_and_its_caption_keeps_path_and_rights() -> None:
    block = Block("lab-file", "tutorial/x", "x.rst", 4, ("workstation",),
                  argument="/etc/a.conf", content=("key = 1",),
                  options=FileOptions(owner="root:adm", mode=0o640))
    label, caption, literal, _badge = block_nodes(block, View(None))
    assert label.astext() == "on the workstation" and HOST_CLASS in label["classes"]
    assert caption.astext() == "/etc/a.conf (root:adm, 0640)"
    assert literal.astext() == "key = 1"


def test_checks_faults_and_hidden_blocks_get_no_label() -> None:
    check = Block("lab-check", "d", "d.rst", 1, ("node1",), body=("port 80 open",))
    fault = Block("lab-fault", "d", "d.rst", 1, ("node1",), options=FaultOptions(action="stop"))
    hidden = Block("lab-run", "d", "d.rst", 1, ("node1",), options=RunOptions(hide=True))
    for block in (check, fault, hidden):
        assert not any(HOST_CLASS in n.get("classes", []) for n in block_nodes(block, View(None))
                       if isinstance(n, nodes.Element))


def test_a_not_run_badge_names_the_hosts() -> None:
    para = badge(View(rec(Status.NOT_RUN, ["node1", "node3"], "cantal-agent absent"), OLD_FP),
                 sessions=True)
    assert para.astext().startswith(
        "◌ not run 2026-11-26 on node1[default], node3[default]: cantal-agent absent — lab: ")
    assert "deploydocs-not-run" in para["classes"]


def test_the_badge_text_stays_short_and_the_tooltip_lists_every_binary() -> None:
    para = badge(View(rec(Status.PASSED, ["node1"]), NEW_FP))
    abbr = next(iter(para.findall(nodes.abbreviation)))
    assert abbr.astext() == ("docker lab · Debian GNU/Linux 12 (bookworm) · cantal-agent 0.6.10"
                             " · lithos 0.18.4 · vagga 0.8.1 · image sha256:0123456789ab")
    tooltip = abbr["explanation"].splitlines()
    assert "cantal-agent 0.6.10 (sha256 1a2b3c4d5e6f) on node1 node2 node3" in tooltip
    assert "lithos_tree 0.18.4 (sha256 abcdef012345) on node1 node2 node3" in tooltip
    assert "vagga 0.8.1 (sha256 ffffffffffff) on workstation" in tooltip
    assert tooltip[0] == ("docker lab: Debian GNU/Linux 12 (bookworm) on node1 node2 node3; "
                          "Ubuntu 24.04 on workstation")
    assert SHA_AGENT not in abbr["explanation"]  # 12 hex digits, not the whole hash


def test_an_old_record_without_hashes_still_renders() -> None:
    para = badge(View(rec(Status.PASSED, ["node1"]), OLD_FP))
    tooltip = next(iter(para.findall(nodes.abbreviation)))["explanation"]
    assert "lithos_tree 0.18.4 (sha256 not recorded) on node1" in tooltip
    assert "lithos_knot version not reported (sha256 not recorded) on node1" in tooltip
    assert describe_fingerprint(OLD_FP) == (
        "docker lab · Debian GNU/Linux 12 (bookworm) · lithos 0.18.4")
    assert fingerprint_tooltip(None) == "unknown lab: no fingerprint recorded"


def test_the_lab_section_lists_each_lab_once_with_its_tools() -> None:
    block = run_block(("node1",))
    rows = [("tutorial/x", block, View(rec(Status.PASSED, ["node1"]), NEW_FP)),
            ("tutorial/x", block, View(rec(Status.NOT_RUN, ["node1"], "x absent"), NEW_FP)),
            ("tutorial/y", block, View(rec(Status.PASSED, ["node1"]), OLD_FP)),
            ("tutorial/y", block, View(None, note="changed since the last verify"))]
    section = lab_section(rows)
    text = section.astext()
    assert text.startswith("Lab\n")
    intros = [p.astext() for p in section.children if isinstance(p, nodes.paragraph)]
    assert intros[0].startswith("2 blocks recorded on 2026-11-26 against lab fingerprint ")
    assert intros[1].startswith("1 block recorded on 2026-11-26 against lab fingerprint ")
    assert text.count("cantal-agent 0.6.10 (sha256 1a2b3c4d5e6f) on node1 node2 node3") == 1
    assert "lithos_tree 0.18.4 (sha256 not recorded) on node1" in text
    empty = lab_section([("tutorial/y", block, View(None))])
    assert "No verify run is recorded" in empty.astext()


def test_labels_and_not_run_hosts_reach_the_built_pages(project: Path,
                                                        local_lab_root: Path) -> None:
    build(project, "verify")
    render = build(project, "render", out="render", fresh=True)
    page = render.html("basics")
    assert page.count('<p class="deploydocs-host">on node1</p>') >= 5
    assert '<p class="deploydocs-host">on node2</p>' in page
    assert '<p class="deploydocs-host">on the workstation</p>' in page
    assert "◌ not run" in page and " on node1[default]: verwalter absent" in page
    # The label sits right above its console block.
    label = page.index('<p class="deploydocs-host">on node2</p>')
    assert page.index('<div class="highlight-console', label) - label < 80
    files = render.html("files")
    assert ('<p class="deploydocs-host">on node1</p>\n<p class="deploydocs-file">'
            '<code class="docutils literal notranslate"><span class="pre">'
            "/tmp/deploydocs-test-lab/app.conf</span></code> (root:root, 0640)</p>") in files
