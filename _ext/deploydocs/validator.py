"""The default ``lab-file`` validator: this project's ``tools.validate``, called in-process.

It reports exactly what ``python -m tools validate --kind KIND FILE`` prints
when the file is invalid (its problems, then the summary line), with the
temporary file's name replaced by the path written on the page; nothing
(``""``) when the file is valid, warnings allowed, as that command's exit
status says. A project without ``tools`` names another validator in
``deploydocs_validator`` (see :mod:`deploydocs.config`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def tools_validator(kind: str, path: str, data: bytes) -> str:
    """Validate *data*, to be written at *path*, as a *kind* file; ``""`` when valid."""
    from tools.commands.validate import format_text, summary_line
    from tools.validate import UsageError, validate_paths

    with tempfile.TemporaryDirectory(prefix="deploydocs-validate-") as tmp:
        target = Path(tmp) / Path(path).name
        target.write_bytes(data)
        try:
            results = validate_paths([str(target)], kind)
        except UsageError as error:
            text = f"error: {error}\n"
        except Exception as error:  # a crashing validator fails the block, not the build
            text = f"the validator crashed: {type(error).__name__}: {error}\n"
        else:
            if not any(r.status(False) == "failed" for r in results):
                return ""
            text = format_text(results)
            text += "".join(f"{r.path}: skipped: {r.skipped}\n" for r in results
                            if r.skipped is not None)
            text += summary_line(results) + "\n"
    return text.replace(str(target), path).strip()
