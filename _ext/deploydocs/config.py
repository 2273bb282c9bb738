"""What a run is told by the build's configuration, as one small value: :class:`RunConfig`.

The engine holds no knowledge of the tools a project documents. Which
``:requires:`` names stand for which binary, what to ask a host when one of
its blocks failed, and how ``lab-file`` validates a file are configuration:
``conf.py`` may set ``deploydocs_tool_aliases``, ``deploydocs_diagnostics`` and
``deploydocs_validator``; :func:`deploydocs.setup` registers them with the
defaults below, which are this project's (lithos, cantal and the validators
of its ``tools`` package).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Validator = Callable[[str, str, bytes], str]
"""``(kind, path as written, data) → problems``; ``""`` when the file is valid."""

DEFAULT_TOOL_ALIASES: Mapping[str, str] = {"lithos": "lithos_tree", "cantal": "cantal-agent"}
"""``:requires:`` names that stand for a tool's main binary."""

DEFAULT_DIAGNOSTICS: Mapping[str, str] = {
    "lithos_ps": (
        "echo '--- lithos_ps'; lithos_ps 2>&1 | tail -n 30; "
        "echo \"(exit ${PIPESTATUS[0]})\"; echo '--- lithos logs'; "
        "if ls /var/log/lithos/*.log >/dev/null 2>&1; "
        "then tail -n 20 /var/log/lithos/*.log; else echo '(no /var/log/lithos/*.log)'; fi"
    ),
}
"""Binary → command run on a host where a block failed, when the host has that binary."""

DEFAULT_VALIDATOR = "deploydocs.validator:tools_validator"
"""``module:function`` of the :data:`Validator` behind ``lab-file``'s ``:validate:``."""


def load_callable(spec: str) -> Callable[..., Any]:
    """The function a ``package.module:function`` string names.

    >>> load_callable("os.path:basename")("/a/b")
    'b'
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected package.module:function, not {spec!r}")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RunConfig:
    """How one run behaves.

    :param accept: accept mode: outputs that differ are kept for rewriting, not failures.
    :param cache: take blocks whose key is unchanged from the last records.
    :param internet: the lab reaches the internet (``:needs-internet:`` blocks run).
    :param tool_aliases: ``:requires:`` name → binary looked for on the host.
    :param diagnostics: binary → command whose output a failure's warning shows.
    :param validator: a :data:`Validator`, or the ``module:function`` naming one.
    :param serial: run a multi-host block's hosts one after the other, not at once.
    :param heal_deadline: seconds the heals of the teardown may take, all together.
    :param teardown_deadline: seconds closing the lab may take (a forced close after
        it has up to 30 s more).
    """

    accept: bool = False
    cache: bool = True
    internet: bool = False
    tool_aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOOL_ALIASES))
    diagnostics: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DIAGNOSTICS))
    validator: str | Validator = DEFAULT_VALIDATOR
    serial: bool = False
    heal_deadline: float = 60.0
    teardown_deadline: float = 60.0

    @property
    def replay(self) -> bool:
        """Whether recorded results may stand in for running a block (never in accept mode)."""
        return self.cache and not self.accept

    def validate(self, kind: str, path: str, data: bytes) -> str:
        """Validate a file with the configured validator; ``""`` when valid."""
        validator = (load_callable(self.validator) if isinstance(self.validator, str)
                     else self.validator)
        return str(validator(kind, path, data))

    @classmethod
    def from_sphinx(cls, config: Any, *, accept: bool) -> RunConfig:
        """The run configuration of a Sphinx build (its ``deploydocs_*`` values)."""
        return cls(accept=accept, cache=bool(config.deploydocs_cache),
                   internet=bool(config.deploydocs_internet),
                   tool_aliases=dict(config.deploydocs_tool_aliases),
                   diagnostics=dict(config.deploydocs_diagnostics),
                   validator=config.deploydocs_validator,
                   serial=bool(config.deploydocs_serial),
                   heal_deadline=float(config.deploydocs_heal_deadline),
                   teardown_deadline=float(config.deploydocs_teardown_deadline))
