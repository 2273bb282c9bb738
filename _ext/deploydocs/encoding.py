"""Refuse pages that are not valid text before Sphinx reads them.

Sphinx 9 dies with a traceback on a source file it cannot decode. A page
that is a binary blob (or saved in the wrong encoding) should instead be a
warning at its file and line, and the rest of the build should go on.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)


def first_undecodable_line(data: bytes, encoding: str) -> tuple[int, str] | None:
    """The 1-based line of the first byte *data* cannot be decoded at, and why; or None.

    >>> first_undecodable_line(b"ok\\n\\xff", "utf-8")
    (2, "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte")
    >>> first_undecodable_line(b"fine", "utf-8") is None
    True
    """
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1, str(error)
    return None


def drop_undecodable_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: warn at file:line for undecodable pages and skip them."""
    for docname in list(docnames):
        path = env.doc2path(docname)
        try:
            data = path.read_bytes()
        except OSError:
            continue
        bad = first_undecodable_line(data, app.config.source_encoding)
        if bad is None:
            continue
        lineno, reason = bad
        logger.warning("page is not valid %s text (%s): not read", app.config.source_encoding,
                       reason, location=(docname, lineno), type="deploydocs",
                       subtype="encoding")
        docnames.remove(docname)
        # Forget it as a source too, or the writer looks for its (absent) doctree.
        env.project.docnames.discard(docname)
