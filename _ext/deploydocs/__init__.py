"""deploydocs: a Sphinx extension whose doc build doubles as an integration test.

The pipeline, one module per arrow::

    directives/parse  →  plan  →  runner (lab)  →  compare  →  report/render
    (text → Block)       (order,   (gates, cache,   (normalize,   (warnings, badges,
                          allowlist) faults)         wildcards)    records, JUnit)

Every stage is generic: what a block of each kind means, runs and shows is
that kind's module in :mod:`deploydocs.kinds`, looked up in its registry.
:mod:`deploydocs.phase` wires the stages to the build: directives only parse;
once a document is read its blocks get their ids; once every document is read
(``env-updated``) the blocks are planned and, in modes that execute, run;
pages are filled in at ``doctree-resolved``. The modes are described in
:mod:`deploydocs.modes`, the run's configuration in :mod:`deploydocs.config`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError

from deploydocs import encoding, phase
from deploydocs.config import DEFAULT_DIAGNOSTICS, DEFAULT_TOOL_ALIASES, DEFAULT_VALIDATOR
from deploydocs.directives import DIRECTIVES, lab_block, lab_report
from deploydocs.modes import MODES, Mode

__all__ = ["MODES", "Mode", "setup"]

STATIC = Path(__file__).parent / "static"


def env_flag(name: str) -> bool:
    """Whether the environment variable *name* is set to something other than off.

    >>> os.environ["DEPLOYDOCS_DOCTEST_FLAG"] = "1"; env_flag("DEPLOYDOCS_DOCTEST_FLAG")
    True
    """
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def _check_config(app: Sphinx, config: Any) -> None:
    mode = config.deploydocs_mode
    if mode not in MODES:
        raise ConfigError(
            f"deploydocs_mode must be one of {', '.join(MODES)}, not {mode!r}"
        )
    if str(STATIC) not in [str(p) for p in config.html_static_path]:
        config.html_static_path = [*config.html_static_path, str(STATIC)]


def _skip(self: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    app.add_config_value("deploydocs_mode", "render", "env", types=(str,))
    app.add_config_value("deploydocs_lab", "docker", "", types=(str,))
    app.add_config_value("deploydocs_inventory", "", "", types=(str,))
    app.add_config_value("deploydocs_tools_dir", "", "", types=(str,))
    app.add_config_value("deploydocs_strict", False, "", types=(bool,))
    app.add_config_value("deploydocs_cache", True, "", types=(bool,))
    # A multi-host block's hosts run at once unless this is set (DEPLOYDOCS_SERIAL=1).
    app.add_config_value("deploydocs_serial", env_flag("DEPLOYDOCS_SERIAL"), "", types=(bool,))
    # Blocks marked :needs-internet: run only where the lab reaches the internet.
    app.add_config_value("deploydocs_internet", False, "", types=(bool,))
    app.add_config_value("deploydocs_hosts", ["node1", "node2", "node3", "workstation"], "",
                         types=(list, tuple))
    app.add_config_value("deploydocs_secret_patterns", [], "", types=(list, tuple))
    app.add_config_value("deploydocs_secret_env", [], "", types=(list, tuple))
    # What the engine must not hard-code: the project's tools (see deploydocs.config).
    app.add_config_value("deploydocs_tool_aliases", dict(DEFAULT_TOOL_ALIASES), "",
                         types=(dict,))
    app.add_config_value("deploydocs_diagnostics", dict(DEFAULT_DIAGNOSTICS), "",
                         types=(dict,))
    app.add_config_value("deploydocs_validator", DEFAULT_VALIDATOR, "", types=(str,))
    # Bounds of a verify's teardown in seconds (the heals together; closing the lab):
    # whole numbers by default, so that `-D name=N` overrides them.
    app.add_config_value("deploydocs_heal_deadline", 60, "", types=(int, float))
    app.add_config_value("deploydocs_teardown_deadline", 60, "", types=(int, float))
    app.connect("config-inited", _check_config)
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive)
    skip = (_skip, None)
    for node in (lab_block, lab_report):
        app.add_node(node, html=skip, latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_css_file("deploydocs.css")
    app.connect("env-before-read-docs", encoding.drop_undecodable_docs)
    app.connect("doctree-read", phase.freeze_document)
    app.connect("env-purge-doc", phase.purge_doc)
    app.connect("env-merge-info", phase.merge_info)
    app.connect("env-updated", phase.env_updated)
    app.connect("doctree-resolved", phase.doctree_resolved)
    app.connect("build-finished", phase.build_finished)
    return {
        "version": "0.1",
        # 3: blocks carry their id and kind-specific options and body.
        "env_version": 3,
        # Directives only parse and store plain data, merged by env-merge-info;
        # execution happens once, in the main process, after all reads.
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
