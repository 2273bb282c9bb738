"""deploydocs: a Sphinx extension whose doc build doubles as an integration test.

The pipeline (one module per arrow) is *parse blocks → plan → run on hosts →
compare → report*. This package registers the directives and the build
phases; the modes are described in :mod:`deploydocs.modes`.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from deploydocs.modes import MODES, Mode

__all__ = ["MODES", "Mode", "setup"]


def _check_mode(app: Sphinx, config: Any) -> None:
    mode = config.deploydocs_mode
    if mode not in MODES:
        from sphinx.errors import ConfigError

        raise ConfigError(
            f"deploydocs_mode must be one of {', '.join(MODES)}, not {mode!r}"
        )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    app.add_config_value("deploydocs_mode", "render", "env", types=(str,))
    app.add_config_value("deploydocs_lab", "docker", "", types=(str,))
    app.add_config_value("deploydocs_inventory", "", "", types=(str,))
    app.add_config_value("deploydocs_tools_dir", "", "", types=(str,))
    app.add_config_value("deploydocs_strict", False, "", types=(bool,))
    app.connect("config-inited", _check_mode)
    return {
        "version": "0.1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
