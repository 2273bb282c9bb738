"""Record files: what the last verify run observed, per document.

``<srcdir>/<docdir>/_verified/<docbasename>.json`` is committed with the
docs; render builds read it, verify builds write it (temp file, then rename).
Records are keyed by block id (:mod:`deploydocs.identity`), so a record
applies to a block only while the block's source hash is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
RECORD_DIR = "_verified"


class Status:
    """The statuses a block can have."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"
    SKIPPED = "skipped"
    """A stand-in block that was not needed: the real tool it stands in for did the job."""
    NEVER = "never verified"


@dataclass
class BlockRecord:
    """What happened to one block in one run.

    :param outputs: host → the observed (masked) output of each command (file
        content for ``lab-file``, check results for ``lab-check``).
    :param cache_key: block text + session history + lab fingerprint; equal keys
        mean re-running would be redundant.
    """

    block_id: str
    lineno: int
    kind: str
    hosts: list[str]
    session: str
    status: str
    reason: str = ""
    outputs: dict[str, list[str]] = field(default_factory=dict)
    captures: dict[str, str] = field(default_factory=dict)
    cache_key: str = ""
    duration: float = 0.0
    verified_at: str = ""
    fingerprint_id: str = ""
    diff: str = ""
    stand_in: str = ""
    cached: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockRecord:
        """Rebuild from JSON, ignoring unknown keys."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class DocumentRecord:
    """All block records of one document plus the lab fingerprints they refer to."""

    document: str
    blocks: dict[str, BlockRecord] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        """Stable, diff-friendly JSON."""
        data = {
            "format": FORMAT,
            "document": self.document,
            "fingerprints": self.fingerprints,
            "blocks": {k: asdict(v) for k, v in sorted(self.blocks.items(),
                                                        key=lambda kv: kv[1].lineno)},
        }
        return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


class RecordError(ValueError):
    """A record file exists but cannot be used."""


def record_path(srcdir: Path, docname: str) -> Path:
    """Where the record of *docname* lives.

    >>> record_path(Path("/d"), "tutorial/first").as_posix()
    '/d/tutorial/_verified/first.json'
    """
    doc = Path(docname)
    return srcdir / doc.parent / RECORD_DIR / f"{doc.name}.json"


OBSERVED = "observed"
"""The key of a fingerprint under which a run notes, when it ends, the tools its blocks
installed on the nodes (:meth:`tools.lab.lab.Lab.observed`). It describes the run, not the
lab it started from, so it is not part of :func:`fingerprint_id`."""


def fingerprint_id(fingerprint: Mapping[str, Any]) -> str:
    """A short hash of a lab fingerprint (without its :data:`OBSERVED` part).

    >>> fingerprint_id({"backend": "docker"}) == fingerprint_id(
    ...     {"backend": "docker", OBSERVED: {"node1": {}}})
    True
    """
    start = {key: value for key, value in fingerprint.items() if key != OBSERVED}
    text = json.dumps(start, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def with_observed(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """*fingerprint* with each node's :data:`OBSERVED` tools merged into its entry, for
    display: what the nodes ran, beside what they started as.

    >>> with_observed({"nodes": {"node1": {"os": "Debian"}},
    ...                OBSERVED: {"node1": {"tools": {"lithos_tree": "0.18.4"}}}})["nodes"]
    {'node1': {'os': 'Debian', 'tools': {'lithos_tree': '0.18.4'}}}
    """
    merged = dict(fingerprint)
    observed = fingerprint.get(OBSERVED)
    nodes = fingerprint.get("nodes")
    if isinstance(observed, Mapping) and isinstance(nodes, Mapping):
        merged["nodes"] = {
            name: ({**info, **observed[name]} if isinstance(info, Mapping)
                   and isinstance(observed.get(name), Mapping) else info)
            for name, info in nodes.items()
        }
    return merged


def cache_key(previous: str, block_text: str, fingerprint: str) -> str:
    """Chain a block onto its session's history.

    >>> cache_key("", "a", "f") != cache_key("x", "a", "f")
    True
    """
    return hashlib.sha256(f"{previous}\0{block_text}\0{fingerprint}".encode()).hexdigest()[:24]


def load_record(path: Path, document: str) -> DocumentRecord:
    """Read a record file; a missing one is empty; a broken one raises :class:`RecordError`."""
    if not path.exists():
        return DocumentRecord(document)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordError(f"unknown record format {data.get('format')!r}"
                              if isinstance(data, dict) else "not a JSON object")
        blocks = {k: BlockRecord.from_dict(v) for k, v in data.get("blocks", {}).items()}
        fingerprints = dict(data.get("fingerprints", {}))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as e:
        raise RecordError(str(e)) from e
    return DocumentRecord(document, blocks, fingerprints)


def write_atomic(path: Path, text: str) -> None:
    """Write *text* to *path* through a temp file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_record(path: Path, record: DocumentRecord) -> None:
    """Write a document's record atomically."""
    write_atomic(path, record.to_json())
