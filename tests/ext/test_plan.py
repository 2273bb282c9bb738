"""Planning: reading order, host expansion, the host allowlist, fault/heal pairing."""

from __future__ import annotations

import pytest
from deploydocs.blocks import Block
from deploydocs.parse import parse_block
from deploydocs.plan import PlanError, describe, make_plan, reading_order

HOSTS = ["node1", "node2", "node3", "workstation"]
NODES = HOSTS[:3]


RUN, FAULT, HEAL = "lab-run", "lab-fault", "lab-heal"


def block(doc: str, line: int, kind: str = RUN, hosts: str = "node1",
          **options: str) -> Block:
    content = ["$ echo hi", "hi"] if kind == RUN else []
    return parse_block(kind, docname=doc, source=f"{doc}.rst", lineno=line, argument=hosts,
                       raw_options=options, content=content,
                       content_lines=list(range(line + 2, line + 2 + len(content))))


def test_reading_order_follows_the_toctree_then_the_rest() -> None:
    includes = {"index": ["tutorial/index", "reference"], "tutorial/index": ["tutorial/b",
                                                                            "tutorial/a"]}
    docs = ["index", "reference", "tutorial/a", "tutorial/b", "tutorial/index", "orphan"]
    assert reading_order("index", includes, docs) == [
        "index", "tutorial/index", "tutorial/b", "tutorial/a", "reference", "orphan"]


def test_steps_follow_pages_in_order_and_lines_within_a_page() -> None:
    blocks = {"b": [block("b", 20), block("b", 5)], "a": [block("a", 9)]}
    plan = make_plan(blocks, ["b", "a"], lab_hosts=HOSTS, nodes=NODES)
    assert [(s.block.docname, s.block.lineno) for s in plan.steps] == [
        ("b", 5), ("b", 20), ("a", 9)]


def test_all_means_every_node_but_not_the_workstation() -> None:
    plan = make_plan({"a": [block("a", 1, hosts="all")]}, ["a"], lab_hosts=HOSTS, nodes=NODES)
    assert plan.steps[0].hosts == ("node1", "node2", "node3")


def test_hosts_outside_the_lab_are_refused_all_at_once_before_anything() -> None:
    blocks = {"a": [block("a", 1, hosts="node1 db.example.com"), block("a", 9, hosts="node9")]}
    with pytest.raises(PlanError) as error:
        make_plan(blocks, ["a"], lab_hosts=HOSTS, nodes=NODES)
    assert [(b.lineno, m.split(" is ")[0]) for b, m in error.value.problems] == [
        (1, "host db.example.com"), (9, "host node9")]


def test_a_fault_without_heal_is_healed_at_the_end_of_its_page() -> None:
    blocks = {"a": [block("a", 1, FAULT, "node3", action="stop"), block("a", 5)],
              "b": [block("b", 1)]}
    plan = make_plan(blocks, ["a", "b"], lab_hosts=HOSTS, nodes=NODES)
    kinds = [(s.block.docname, s.block.kind, s.implicit, s.effects) for s in plan.steps]
    assert kinds == [("a", FAULT, False, (("node3", "stop"),)), ("a", RUN, False, ()),
                     ("a", HEAL, True, (("node3", "stop"),)), ("b", RUN, False, ())]


def test_a_heal_pairs_with_the_fault_on_its_host() -> None:
    blocks = {"a": [block("a", 1, FAULT, "node3", action="isolate"),
                    block("a", 3, HEAL, "node3"), block("a", 5, HEAL, "node2")]}
    with pytest.raises(PlanError, match="lab-heal without an earlier lab-fault on node2"):
        make_plan(blocks, ["a"], lab_hosts=HOSTS, nodes=NODES)


def test_describe_says_which_command_goes_where() -> None:
    blocks = {"a": [block("a", 1, hosts="node2", session="admin", requires="lithos")]}
    plan = make_plan(blocks, ["a"], lab_hosts=HOSTS, nodes=NODES)
    assert describe(plan, {"a": "a.rst"}) == [
        "  1. a.rst:1  lab-run → node2 [session admin] (requires lithos)",
        "       $ echo hi"]
