"""The committed tutorial records still fit the tutorial as the extension reads it now.

Block ids and cache keys are how a record finds its block: if the extension
computed either differently, the render build would show committed output as
*never verified* and a re-verify would run everything again. These tests read
the real tutorial pages (a minimal configuration, nothing executed), then

* compare every block's id with the keys of ``tutorial/_verified/*.json``;
* replay a verify against a stand-in of the lab that made the records (its
  recorded fingerprint and tools): every block must come from the cache or be
  *not run* for the same reason as before, and nothing may reach a host.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest
from deploydocs.directives import blocks_of
from deploydocs.identity import block_ids
from deploydocs.plan import make_plan, reading_order
from deploydocs.records import BlockRecord, Status, load_record, record_path
from deploydocs.runner import Runner
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

from tests.ext.conftest import REPO

CONF = '''
extensions = ["myst_parser", "deploydocs"]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
include_patterns = ["index.rst", "tutorial/**"]
exclude_patterns = ["**/_verified", "tutorial/app/**", "tutorial/verwalter/**"]
deploydocs_mode = "render"
'''


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The build environment after reading the repository's tutorial pages (render mode)."""
    tmp = tmp_path_factory.mktemp("record-keys")
    (tmp / "conf").mkdir()
    (tmp / "conf" / "conf.py").write_text(CONF)
    with patch_docutils(tmp / "conf"), docutils_namespace():
        app = Sphinx(str(REPO), str(tmp / "conf"), str(tmp / "out"), str(tmp / "doctrees"),
                     "dummy", status=io.StringIO(), warning=io.StringIO(), freshenv=True)
        app.build()
    return app.env


def committed(docname: str) -> Mapping[str, BlockRecord]:
    """The committed records of one tutorial page."""
    return load_record(record_path(REPO, docname), docname).blocks


def test_every_tutorial_block_has_its_committed_record_and_no_record_is_orphaned(
        tutorial: Any) -> None:
    pages = {doc: blocks for doc, blocks in blocks_of(tutorial).items() if blocks}
    assert len(pages) == 9 and sum(len(b) for b in pages.values()) == 146
    for doc, blocks in pages.items():
        recorded = sorted(committed(doc), key=lambda bid: committed(doc)[bid].lineno)
        assert [block.id for block in blocks] == recorded, doc
        assert block_ids(blocks) == recorded, doc


class ReplayLab:
    """The lab that made the records, as far as a replay needs it: its fingerprint and
    the tools each host had. Anything that would touch a host fails the test."""

    def __init__(self, fingerprint: Mapping[str, Any]) -> None:
        self.fp = dict(fingerprint)
        self.nodes = list(fingerprint["nodes"])
        self.hosts = dict.fromkeys([*self.nodes, "workstation"])
        self.touched: list[str] = []

    def fingerprint(self) -> dict[str, Any]:
        return self.fp

    def tools(self, host: str) -> dict[str, str]:
        where = self.fp["workstation"] if host == "workstation" else self.fp["nodes"][host]
        return dict(where["tools"])

    def session(self, host: str, name: str = "default") -> Any:
        self.touched.append(f"session {host}[{name}]")
        raise AssertionError(f"a replay opened the session {host}[{name}]")

    def fault(self, host: str, action: str) -> None:
        self.touched.append(f"fault {host} {action}")

    def heal(self, host: str, action: str) -> None:
        self.touched.append(f"heal {host} {action}")


def test_a_replay_against_the_recording_lab_reruns_no_block(tutorial: Any) -> None:
    pages = {doc: blocks for doc, blocks in blocks_of(tutorial).items() if blocks}
    order = reading_order("index", tutorial.toctree_includes, tutorial.found_docs)
    previous: dict[tuple[str, str], BlockRecord] = {}
    fingerprints: dict[str, Any] = {}
    for doc in pages:
        record = load_record(record_path(REPO, doc), doc)
        fingerprints.update(record.fingerprints)
        previous.update({(doc, bid): r for bid, r in record.blocks.items()})
    assert len(fingerprints) == 1
    lab = ReplayLab(next(iter(fingerprints.values())))
    plan = make_plan(pages, order, lab_hosts=lab.hosts, nodes=lab.nodes)
    result = Runner(lab, previous=previous).run(plan)
    assert lab.touched == []
    assert result.failures == []
    assert set(result.records) == set(previous)
    for key, old in previous.items():
        new = result.records[key]
        if old.status == Status.PASSED:
            assert new.cached and new.cache_key == old.cache_key, key
        else:
            assert (new.status, new.reason) == (old.status, old.reason), key
