"""Problems found by validators: every one names its file, line and key.

Validators return *all* problems at once, the way a compiler does, never
the first exception.

>>> str(Problem("sandboxes/app.yaml", 3, "allow-users", "must not be empty"))
'sandboxes/app.yaml:3: allow-users: must not be empty'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file: where, which key, and what."""

    file: str
    line: int
    key: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.key}: {self.message}"
        return text if self.severity == "error" else f"{text} (warning)"

    def as_dict(self) -> dict[str, object]:
        """The problem as plain data, for ``--json`` output."""
        return asdict(self)


def errors(problems: list[Problem]) -> list[Problem]:
    """Only the problems that make a file invalid (warnings dropped)."""
    return [p for p in problems if p.severity == "error"]
