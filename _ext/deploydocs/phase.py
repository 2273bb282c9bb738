"""The build phase: once per build, after every document is read.

``doctree-read``: the document is complete, so its blocks get their ids
(:func:`deploydocs.identity.freeze`) and its placeholders name them.
``env-updated``: collect blocks from the environment, plan, and per mode
print the plan, or run it on the lab and write the records.
``doctree-resolved``: replace placeholders with outputs and badges.
``build-finished``: summary line, strict-mode warnings, JUnit, transcripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from deploydocs import accept as accept_mode
from deploydocs.blocks import Block
from deploydocs.directives import blocks_of, lab_block, lab_report, report_docs
from deploydocs.display import View
from deploydocs.identity import block_ids, freeze
from deploydocs.masking import Masker
from deploydocs.modes import Mode
from deploydocs.plan import Plan, PlanError, describe, make_plan, reading_order
from deploydocs.records import (
    OBSERVED,
    BlockRecord,
    DocumentRecord,
    RecordError,
    Status,
    fingerprint_id,
    load_record,
    record_path,
    save_record,
)
from deploydocs.render import block_nodes, report_nodes
from deploydocs.report import (
    failure_line,
    failure_message,
    junit_xml,
    stand_in_summary,
    summary,
    write_outputs,
)

logger = logging.getLogger(__name__)


@dataclass
class BuildState:
    """What one build knows about the blocks (kept on the app, never pickled)."""

    mode: Mode
    order: list[str] = field(default_factory=list)
    plan: Plan | None = None
    ran: bool = False
    result: Any = None
    loaded: dict[str, DocumentRecord] = field(default_factory=dict)
    corrupt: set[str] = field(default_factory=set)
    refused: str = ""


def state(app: Sphinx) -> BuildState:
    """The build's state, created on first use."""
    found: BuildState | None = getattr(app, "deploydocs_state", None)
    if found is None:
        found = BuildState(Mode(app.config.deploydocs_mode))
        # An attribute of this extension's own, which Sphinx's class does not declare.
        app.deploydocs_state = found  # type: ignore[attr-defined]
    return found


def relpath(app: Sphinx, docname: str) -> str:
    """The source file of *docname*, relative to the source directory."""
    try:
        return str(app.env.doc2path(docname, False))
    except Exception:
        return docname


def load_doc_record(app: Sphinx, docname: str) -> DocumentRecord:
    """The committed record of a document; a broken file warns once and counts as empty."""
    st = state(app)
    if docname not in st.loaded:
        path = record_path(Path(app.srcdir), docname)
        try:
            st.loaded[docname] = load_record(path, docname)
        except RecordError as error:
            st.corrupt.add(docname)
            logger.warning(
                f"{path}: deploydocs: record file is corrupted ({error}); its blocks are shown "
                "as never verified until the next verify run rewrites it",
                type="deploydocs", subtype="record")
            st.loaded[docname] = DocumentRecord(docname)
    return st.loaded[docname]


# -- events -------------------------------------------------------------------
def freeze_document(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: give the document's blocks their ids, and each placeholder its
    block's id (the one key of records, results and pages from here on)."""
    docname = app.env.docname
    blocks = blocks_of(app.env).get(docname)
    if not blocks:
        return
    frozen = freeze(blocks)
    blocks_of(app.env)[docname] = frozen
    for node in doctree.findall(lab_block):
        node["block_id"] = frozen[node["index"]].id
        del node["index"]


def purge_doc(app: Sphinx, env: Any, docname: str) -> None:
    """Forget a document's blocks before it is re-read."""
    blocks_of(env).pop(docname, None)
    report_docs(env).discard(docname)


def merge_info(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Merge blocks read in a parallel worker."""
    for doc in docnames:
        if doc in blocks_of(other):
            blocks_of(env)[doc] = blocks_of(other)[doc]
        if doc in report_docs(other):
            report_docs(env).add(doc)


def env_updated(app: Sphinx, env: Any) -> list[str]:
    """Plan, and run when the mode executes. Returns the documents to rewrite."""
    st = state(app)
    blocks = {d: b for d, b in blocks_of(env).items() if b and d in env.found_docs}
    st.order = reading_order(app.config.root_doc, env.toctree_includes, env.found_docs)
    if st.mode is Mode.RENDER or not blocks:
        return sorted(set(blocks) | report_docs(env))
    if st.mode.executes:
        _execute(app, env, blocks, st)
    else:
        _print_plan(app, blocks, st)
    return sorted(set(blocks) | report_docs(env))


def _refuse(app: Sphinx, error: PlanError, st: BuildState) -> None:
    for block, message in error.problems:
        logger.warning(f"deploydocs: {message}; nothing was run",
                       location=(block.docname, block.lineno), type="deploydocs",
                       subtype="plan")
    count = len(error.problems)
    st.refused = f"plan refused: {count} problem{'s' * (count != 1)}"


def _print_plan(app: Sphinx, blocks: dict[str, list[Block]], st: BuildState) -> None:
    hosts = list(app.config.deploydocs_hosts)
    nodes_ = [h for h in hosts if h != "workstation"]
    try:
        st.plan = make_plan(blocks, st.order, lab_hosts=hosts, nodes=nodes_)
    except PlanError as error:
        _refuse(app, error, st)
        return
    lines = describe(st.plan, {d: relpath(app, d) for d in blocks},
                     serial=bool(app.config.deploydocs_serial))
    text = "\n".join(["deploydocs plan (nothing is run):", *lines])
    print(text, flush=True)
    out = Path(app.outdir) / "deploydocs" / "plan.txt"
    from deploydocs.records import write_atomic

    write_atomic(out, text + "\n")


def _execute(app: Sphinx, env: Any, blocks: dict[str, list[Block]], st: BuildState) -> None:
    from deploydocs.config import RunConfig
    from deploydocs.interrupts import REAP_HINT, ForcedTeardown, Interrupts, close_lab
    from deploydocs.lab import open_configured_lab
    from deploydocs.runner import Runner

    cfg = app.config
    run_config = RunConfig.from_sphinx(cfg, accept=st.mode is Mode.ACCEPT)

    def say(line: str) -> None:
        logger.info(f"deploydocs: {line}")

    # Ctrl-C or SIGTERM unwinds the run into its heals and the lab's close; a second one
    # forces the teardown (deploydocs.interrupts).
    with Interrupts(say) as interrupts:
        try:
            lab = open_configured_lab(
                cfg.deploydocs_lab, cfg.deploydocs_inventory, cfg.deploydocs_tools_dir,
                progress=lambda line: logger.info(f"deploydocs lab: {line}"))
        except ForcedTeardown:
            say(f"lab start interrupted twice: {REAP_HINT}")
            raise
        except Exception as error:
            raise ExtensionError(f"deploydocs {st.mode.value}: the lab "
                                 f"({cfg.deploydocs_lab}) could not start: {error}") from error
        try:
            try:
                st.plan = make_plan(blocks, st.order, lab_hosts=lab.hosts, nodes=lab.nodes)
            except PlanError as error:
                _refuse(app, error, st)
                return
            previous: dict[tuple[str, str], BlockRecord] = {}
            for doc in blocks:
                for bid, record in load_doc_record(app, doc).blocks.items():
                    previous[(doc, bid)] = record
            masker = Masker.from_config(cfg.deploydocs_secret_patterns,
                                        cfg.deploydocs_secret_env)
            runner = Runner(lab, previous=previous, masker=masker, config=run_config,
                            progress=say)
            st.result = runner.run(st.plan)
            st.ran = True
        finally:
            close_lab(lab, interrupts, say, run_config.teardown_deadline)
    ids = {doc: [block.id for block in doc_blocks] for doc, doc_blocks in blocks.items()}
    if st.mode is Mode.ACCEPT:
        ids.update(_accept(blocks, st.result.differences))
    _save_records(app, blocks, ids, st)


def _accept(blocks: dict[str, list[Block]], differences: Any) -> dict[str, list[str]]:
    """Write the outputs that differed into the pages; the rewritten documents' new ids."""
    changes = accept_mode.changes(blocks, differences)
    if not changes:
        logger.info("deploydocs accept: every output already matched; no source changed")
        return {}
    try:
        done = accept_mode.rewrite_sources(changes)
    except accept_mode.AcceptError as error:
        logger.warning(f"deploydocs accept: {error}", type="deploydocs", subtype="accept")
        return {}
    # The records are saved under the rewritten blocks' ids, so the next
    # render shows them as verified.
    rewritten = {doc: list(doc_blocks) for doc, doc_blocks in blocks.items()}
    for block, observed in changes:
        doc_blocks = rewritten[block.docname]
        doc_blocks[doc_blocks.index(block)] = accept_mode.accepted_block(block, observed)
    for source, count in done.items():
        logger.info(f"deploydocs accept: rewrote {count} expected output(s) in {source}")
    return {doc: block_ids(rewritten[doc]) for doc in {b.docname for b, _ in changes}}


def _with_earlier_observed(fp: dict[str, Any], earlier: Mapping[str, Any] | None
                           ) -> dict[str, Any]:
    """*fp* with the tools an earlier run on the same lab saw (:data:`OBSERVED`) kept
    beside this run's: a run that replays the tutorial installs nothing, and its last
    page leaves the nodes without the tools the replayed blocks ran with.

    >>> _with_earlier_observed({"backend": "d"}, {OBSERVED: {"node1": {"tools": {"a": "1"}}}})
    {'backend': 'd', 'observed': {'node1': {'tools': {'a': '1'}}}}
    """
    if not earlier or not isinstance(earlier.get(OBSERVED), Mapping):
        return fp
    merged: dict[str, Any] = {node: {k: dict(v) for k, v in info.items()}
                              for node, info in earlier[OBSERVED].items()}
    for node, info in (fp.get(OBSERVED) or {}).items():
        entry = merged.setdefault(node, {})
        for part, values in info.items():
            entry.setdefault(part, {}).update(values)
    return {**fp, OBSERVED: merged}


def _save_records(app: Sphinx, blocks: dict[str, list[Block]], ids: dict[str, list[str]],
                  st: BuildState) -> None:
    """Write each document's records, under *ids* (the blocks' ids as the page now reads)."""
    result = st.result
    fp = result.fingerprint
    fp_id = fingerprint_id(fp)
    for doc, doc_blocks in blocks.items():
        record = DocumentRecord(doc, fingerprints={fp_id: _with_earlier_observed(
            fp, load_doc_record(app, doc).fingerprints.get(fp_id))})
        for block, bid in zip(doc_blocks, ids[doc], strict=True):
            found = result.records.get((doc, block.id))
            if found is None:
                continue
            found.block_id = bid
            record.blocks[bid] = found
            old_fp = found.fingerprint_id
            if old_fp and old_fp != fp_id and found.cached:
                record.fingerprints[old_fp] = load_doc_record(app, doc).fingerprints.get(old_fp, {})
        save_record(record_path(Path(app.srcdir), doc), record)
        st.loaded[doc] = record


def doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Fill the placeholders of one document."""
    st = state(app)
    lab_nodes = [h for h in app.config.deploydocs_hosts if h != "workstation"]
    by_id = {block.id: block for block in blocks_of(app.env).get(docname, [])}
    for node in list(doctree.findall(lab_block)):
        block = by_id[node["block_id"]]
        node.replace_self(block_nodes(block, view_of(app, docname, block), lab_nodes))
    for report_node in list(doctree.findall(lab_report)):
        rows = []
        for doc in st.order or sorted(blocks_of(app.env)):
            for block in blocks_of(app.env).get(doc, []):
                rows.append((doc, block, view_of(app, doc, block)))
        content: list[nodes.Node] = []
        records = [v.record for _, _, v in rows if v.record]
        never = len(rows) - len(records)
        text = summary(records, count_cached=st.ran) + (f"; {never} never verified"
                                                        if never else "")
        content.append(nodes.paragraph(text, text, classes=["deploydocs-summary"]))
        covered = stand_in_summary(((b, v.record) for _, b, v in rows),
                                   lambda b: f"{relpath(app, b.docname)}:{b.lineno}")
        for name, where in sorted(covered.items()):
            line = f"Stand-in {name} covered {len(where)} block(s): {', '.join(where)}"
            content.append(nodes.paragraph(line, line))

        def link(target: str, docname: str = docname) -> str:
            return app.builder.get_relative_uri(docname, target)

        content.extend(report_nodes(rows, link, html=app.builder.format == "html"))
        report_node.replace_self(content)


def view_of(app: Sphinx, docname: str, block: Block) -> View:
    """What the page shows for *block*: this run's record, or the committed one."""
    st = state(app)
    if st.ran:
        record = st.result.records.get((docname, block.id))
        if record is None:
            return View(None, note="not run in this build")
        fp = load_doc_record(app, docname).fingerprints.get(record.fingerprint_id,
                                                           st.result.fingerprint)
        return View(record, fp)
    if st.refused:
        return View(None, note=st.refused)
    doc_record = load_doc_record(app, docname)
    record = doc_record.blocks.get(block.id)
    if record is None:
        if docname in st.corrupt:
            note = "record file corrupted"
        elif doc_record.blocks:
            note = "changed since the last verify"
        else:
            note = "no verify run recorded"
        return View(None, note=note)
    return View(record, doc_record.fingerprints.get(record.fingerprint_id))


def build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Warnings for failures (at file:LINE), strict not-runs, summary, JUnit, transcripts."""
    st = state(app)
    if not st.ran or st.result is None:
        return
    result = st.result
    rows = []
    for doc in st.order:
        for block in blocks_of(app.env).get(doc, []):
            record = result.records.get((doc, block.id))
            if record is not None:
                rows.append((block, record))
    line = summary(r for _, r in rows)
    # Files first: with -W and no --keep-going the first warning below ends the build.
    base = write_outputs(Path(app.outdir), junit_xml(rows, {d: relpath(app, d)
                                                           for d in blocks_of(app.env)}),
                         result.transcripts, line)
    logger.info(f"deploydocs: JUnit and transcripts in {base}")
    for name, where in sorted(stand_in_summary(rows).items()):
        logger.info(f"deploydocs: stand-in {name} covered {len(where)} block(s)")
    try:
        for failure in result.failures:
            logger.warning(failure_message(failure),
                           location=(failure.block.docname, failure_line(failure)),
                           type="deploydocs", subtype="failed")
        if app.config.deploydocs_strict:
            for block, record in rows:
                if record.status == Status.NOT_RUN:
                    logger.warning(f"deploydocs (strict): {block.kind} not run: "
                                   f"{record.reason}", location=(block.docname, block.lineno),
                                   type="deploydocs", subtype="not-run")
    finally:
        # The verdict goes to stdout even with -q.
        print(f"deploydocs {st.mode.value}: {line}", flush=True)
