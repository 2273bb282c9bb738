"""Secret masking for everything that is stored or shown.

Configured regex patterns (``deploydocs_secret_patterns``; a pattern with a
group masks only the group) and the values of named environment variables
(``deploydocs_secret_env``) are replaced by ``********`` in outputs,
transcripts, records, warnings and pages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

MASK = "********"


class Masker:
    """Replace secrets in text.

    >>> Masker([r"token=(\\S+)"], {"DB_PASSWORD": "hunter2"}).mask("token=abc pw hunter2")
    'token=******** pw ********'
    """

    def __init__(self, patterns: Sequence[str] = (),
                 values: Mapping[str, str] | Sequence[str] = ()) -> None:
        self.patterns = [re.compile(p) for p in patterns]
        secrets = values.values() if isinstance(values, Mapping) else values
        # Longest first so a value containing another is masked whole.
        self.values = sorted({v for v in secrets if len(v) >= 3}, key=len, reverse=True)

    @classmethod
    def from_config(cls, patterns: Sequence[str], env_names: Sequence[str],
                    environ: Mapping[str, str] | None = None) -> Masker:
        """Build from config: patterns and the names of environment variables."""
        env = os.environ if environ is None else environ
        return cls(patterns, {name: env[name] for name in env_names if env.get(name)})

    def mask(self, text: str) -> str:
        """*text* with every secret replaced by :data:`MASK`."""
        for value in self.values:
            text = text.replace(value, MASK)
        for pattern in self.patterns:
            text = pattern.sub(self._replace, text)
        return text

    @staticmethod
    def _replace(match: re.Match[str]) -> str:
        if not match.re.groups:
            return MASK
        whole, start = match.group(0), match.start(0)
        out, last = [], 0
        for index in range(1, match.re.groups + 1):
            if match.start(index) < 0:
                continue
            out.append(whole[last:match.start(index) - start])
            out.append(MASK)
            last = match.end(index) - start
        out.append(whole[last:])
        return "".join(out)
