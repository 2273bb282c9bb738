"""Every rule ``validate`` applies, by id: what it checks, where it lives, whose behaviour.

A problem carries the id of the rule that found it (``Problem.rule``); this
catalogue is where a newcomer goes from that id to the module that checks it.
Each rule follows one named version of the real tool (:data:`TOOL_VERSIONS`);
where ``validate`` deliberately differs from that tool the rule says so in
``differs`` and its problems are warnings naming what the real tool does.

An id can be silenced on one line with an inline comment naming it (see
:mod:`tools.suppress`), or for a whole run with ``--ignore`` or the config
file (:mod:`tools.validate_config`).

>>> RULES["unknown-key"].home
'tools.quire.schema'
>>> sorted(rule for rule in RULES if rule.startswith("template-"))
['template-syntax', 'template-variable']
"""

from __future__ import annotations

from dataclasses import dataclass

TOOL_VERSIONS = {"lithos": "0.18.4", "vagga": "0.8.1", "verwalter": "0.13.4"}
"""The one version of each tool whose behaviour validation follows."""

VERSIONS_LINE = ", ".join(f"{tool} {version}" for tool, version in TOOL_VERSIONS.items())
"""``lithos 0.18.4, vagga 0.8.1, verwalter 0.13.4``, for help texts."""


@dataclass(frozen=True)
class Rule:
    """One check: its id, a one-line summary, the module that applies it and its
    default severity; ``differs`` says how it departs from the real tool, if it does."""

    id: str
    summary: str
    home: str
    severity: str = "error"
    differs: str = ""


_ALL = (
    # YAML as quire reads it (every kind but verwalter templates and Lua)
    Rule("yaml-syntax", "the file is not YAML quire can read", "tools.quire.syntax"),
    Rule("duplicate-key", "a key written twice in one mapping", "tools.quire.loading"),
    Rule("merge-key", "a merge key (<<) whose value is not a mapping", "tools.quire.loading"),
    Rule("include", "an !*Include that cannot be read", "tools.quire.loading"),
    Rule("not-followed", "an !*Include or other !* tag whose content is not checked",
         "tools.quire.loading", "warning"),
    Rule("unreadable", "the file cannot be read or is not UTF-8", "tools.quire.loading"),
    Rule("unknown-key", "a key the structure does not have", "tools.quire.schema"),
    Rule("required-key", "a required key is missing", "tools.quire.schema"),
    Rule("wrong-type", "a value of the wrong shape (mapping, list, scalar, bool, null)",
         "tools.quire.schema"),
    Rule("not-integer", "a numeric field that is not an integer quire can read",
         "tools.quire.schema"),
    Rule("out-of-range", "an integer outside the field's range or its Rust type's",
         "tools.quire.schema"),
    Rule("unknown-tag", "a missing or unknown !Tag where a choice is expected",
         "tools.quire.schema"),
    Rule("ignored-tag", "a !Tag on a plain text, which quire ignores", "tools.quire.schema",
         "warning"),
    Rule("too-few-items", "a list shorter than the field needs", "tools.quire.schema"),
    Rule("bad-value", "a value the field's own check refuses", "tools.quire.schema"),
    # lithos
    Rule("lithos-config", "the other checks of one lithos file (paths, names, volumes)",
         "tools.lithos.config"),
    Rule("lithos-secret", "a secret-environ value that is not lithos_crypt output",
         "tools.lithos.config", "warning",
         differs="lithos_check --check-container accepts it; lithos fails only when it "
                 "decrypts the value at start"),
    Rule("lithos-relative-path", "a master's runtime-dir that is not an absolute path",
         "tools.lithos.config", "warning",
         differs="lithos_check 0.18.4 accepts it; lithos_tree resolves it against the "
                 "directory it starts in"),
    Rule("lithos-no-sandbox", "a process file whose sandbox file does not exist",
         "tools.lithos.tree"),
    Rule("lithos-user", "a container's user or group id the sandbox does not allow",
         "tools.lithos.config"),
    Rule("lithos-port", "a container's TCP port the sandbox does not allow",
         "tools.lithos.config"),
    Rule("lithos-image", "an image or its container config missing under image-dir",
         "tools.lithos.config"),
    # vagga
    Rule("vagga-config", "the other checks of vagga.yaml (containers, commands, mixins)",
         "tools.vagga"),
    Rule("vagga-newer-key", "a key newer than the vagga the tutorial uses", "tools.vagga"),
    # verwalter
    Rule("verwalter-tree", "the other checks of a verwalter tree (layout, files)",
         "tools.verwalter.tree"),
    Rule("template-syntax", "a template the handlebars of verwalter cannot parse",
         "tools.verwalter.template_check"),
    Rule("template-variable", "a template variable no schedule gives",
         "tools.verwalter.template_check", "warning"),
    Rule("scheduler-runtime", "main.lua fails when run once on a sample input",
         "tools.verwalter.tree"),
    Rule("machine-id", "a machine-id file verwalter and cantal would refuse",
         "tools.machine_id"),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
"""Every rule by id."""

KIND_RULES = {"lithos-master": "lithos-config", "lithos-sandbox": "lithos-config",
              "lithos-process": "lithos-config", "lithos-container": "lithos-config",
              "vagga": "vagga-config", "verwalter-tree": "verwalter-tree"}
"""The rule a problem of each kind falls under when its check names none more precise."""


def rule_table() -> str:
    """The rules as aligned text, one a line (``--list-rules``)."""
    width = max(len(rule.id) for rule in _ALL)
    lines = []
    for rule in _ALL:
        flag = " (warning)" if rule.severity == "warning" else ""
        lines.append(f"{rule.id:<{width}}  {rule.summary}{flag} [{rule.home}]")
        if rule.differs:
            lines.append(f"{'':<{width}}  differs from the real tool: {rule.differs}")
    return "\n".join(lines) + "\n"
