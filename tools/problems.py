"""Problems found by validators: every one names its file, line and key.

Validators return *all* problems at once, the way a compiler does, never
the first exception. A problem prints as ``FILE:LINE: KEY: message``, or
``FILE:LINE:COLUMN: KEY: message`` when the column is known (YAML syntax
errors, tags), the form compilers use and editors and CI annotators parse.
Line 1 stands for "the whole file" when no better line exists.

>>> str(Problem("sandboxes/app.yaml", 3, "allow-users", "must not be empty"))
'sandboxes/app.yaml:3: allow-users: must not be empty'
>>> str(Problem("vagga.yaml", 4, "containers.a", "unclosed list", column=12))
'vagga.yaml:4:12: containers.a: unclosed list'
>>> str(Problem("hosts.toml", 0, "", "cannot read"))
'hosts.toml:1: (top): cannot read'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file: where, which key, and what.

    ``column`` is 1-based; 0 means unknown (only the line is known).
    """

    file: str
    line: int
    key: str
    message: str
    severity: Severity = "error"
    column: int = 0
    rule: str = ""
    """The id of the rule that found it (:mod:`tools.rules` says what each checks and
    where); empty until the validator of the file's kind fills in its default."""

    def __post_init__(self) -> None:
        # a location is FILE:LINE with LINE >= 1 and a key: line 1 and "(top)" stand for
        # "the whole file" (editors and CI annotators reject line 0 or an empty key)
        if self.line < 1:
            object.__setattr__(self, "line", 1)
        if not self.key:
            object.__setattr__(self, "key", "(top)")

    @property
    def location(self) -> str:
        """``FILE:LINE`` or ``FILE:LINE:COLUMN``."""
        where = f"{self.file}:{self.line}"
        return f"{where}:{self.column}" if self.column else where

    def __str__(self) -> str:
        text = f"{self.location}: {self.key}: {self.message}"
        return text if self.severity == "error" else f"{text} (warning)"

    def as_dict(self) -> dict[str, object]:
        """The problem as plain data, for ``--json`` output (``column`` only when known)."""
        data: dict[str, object] = {"file": self.file, "line": self.line, "key": self.key,
                                   "message": self.message, "severity": self.severity}
        if self.column:
            data["column"] = self.column
        if self.rule:
            data["rule"] = self.rule
        return data


def errors(problems: list[Problem]) -> list[Problem]:
    """Only the problems that make a file invalid (warnings dropped)."""
    return [p for p in problems if p.severity == "error"]
