"""Sphinx configuration for deploydocs.

The build has two main modes, chosen by ``DEPLOYDOCS_MODE`` (or
``-D deploydocs_mode=...``):

``render`` (default, and always on Read the Docs)
    Executes no shell command and contacts no lab. Tutorial blocks show the
    output recorded by the last verify run, with its provenance badge.
``verify``
    Runs the tutorial's blocks on the lab's hosts and checks them.

``_ext/deploydocs`` documents the other modes (plan, accept, strict).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT))
# jupyter-sphinx kernels inherit the environment: let them import tools/.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)

project = "deploydocs"
author = "The deploydocs authors"
copyright = "2026, The deploydocs authors"
release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.doctest",
    "sphinx_copybutton",
    "sphinxcontrib.mermaid",
    "sphinx_click",
    "autodoc2",
    "apicache",
    "jupyter_sphinx",
    "sphinx_rtd_theme",
    "deploydocs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    ".venv",
    "README.md",
    "**/_verified",
    "tests",
    "bench",
    "tools",
    "_ext",
    ".ci",
    "Thumbs.db",
    ".DS_Store",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    "*.egg-info",
]

nitpicky = True
# Third-party and stdlib names autodoc2 mentions in signatures; without
# intersphinx (the lab build runs offline) they cannot resolve.
nitpick_ignore_regex = [
    (r"py:.*", r"(pathlib|typing|collections|subprocess|click|ruamel|docker|lupa|jinja2|rich|"
     r"enum|dataclasses|abc|io|os|re|datetime|threading|signal|types|contextlib|urllib|uuid|"
     r"pybars|json|tarfile|shutil|tempfile|socket|http|hashlib|argparse|logging|pathspec)"
     r"(\..*)?"),
    (r"py:.*", r"(str|int|float|bool|bytes|dict|list|tuple|set|frozenset|object|None|type|"
     r"Any|Iterable|Iterator|Mapping|Sequence|Callable|Literal|Self|TextIO|BinaryIO|"
     r"Path|Exception|ValueError|RuntimeError|OSError|Generator|Protocol|NamedTuple|"
     r"TypeVar|ClassVar|Final)"),
    (r"py:.*", r"(tools\.)?.*\.(T|P|_T)"),
]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_fence_as_directive = ["mermaid"]

html_theme = "sphinx_rtd_theme"
html_title = "Deploying Django with vagga, lithos, cantal and verwalter"
html_static_path: list[str] = []
# Mermaid's JS comes from its CDN (as on Read the Docs) unless DEPLOYDOCS_MERMAID_LOCAL names a
# directory holding ``mermaid.mjs`` (an ES module exporting mermaid): offline builds use that.
if os.environ.get("DEPLOYDOCS_MERMAID_LOCAL") and os.environ.get("READTHEDOCS") != "True":
    html_static_path.append(os.environ["DEPLOYDOCS_MERMAID_LOCAL"])
    mermaid_use_local = "mermaid.mjs"

# sphinx-autodoc2: API reference of tools/ into the Reference section.
autodoc2_packages = [{"path": "tools", "auto_mode": True}]
autodoc2_output_dir = "reference/api"
autodoc2_render_plugin = "rst"
autodoc2_hidden_objects = ["private", "inherited", "dunder"]
# tools.quire re-exports the names of its modules; signatures that name them through the
# package point at the module that defines them.
autodoc2_replace_annotations = [
    (f"tools.quire.{name}", f"tools.quire.{module}.{name}")
    for module, names in {"nodes": ("Record", "Tagged", "TagValue", "Node", "Items"),
                          "schema": ("Schema", "Struct", "Seq", "Str", "Int", "Bool", "Enum",
                                     "Anything", "Mapping")}.items()
    for name in names
]
# No docstring parser of its own: docstrings are rst like the generated pages, so autodoc2
# parses them into the page itself. Naming "rst" here made it parse each one into a
# document of its own whose settings hold the whole build environment, pickled into every
# API doctree (1.6 MB each instead of 0.1 MB; the HTML is the same either way).
autodoc2_docstring_parser_regexes: list[tuple[str, str]] = []
# apicache (_ext/apicache.py): autodoc2 analyses tools/ and rewrites reference/api only when
# tools/ or an autodoc2_* setting changed since the pages there were generated.

# sphinx-copybutton: copy the command without its prompt and its output.
copybutton_prompt_text = r"\$ |# "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# jupyter-sphinx: cells call pure tools/ functions only, so they run
# everywhere, Read the Docs included.
jupyter_execute_default_kernel = "python3"
# The kernels talk to the build over IPC sockets (files in the kernel's runtime directory)
# rather than TCP on localhost: nothing listens on a port, and ipykernel has no reason to
# log its "running over TCP without encryption" WARNING into the build's output.
jupyter_execute_kwargs = {
    "timeout": 120,
    "allow_errors": False,
    "config": Config({"KernelManager": {"transport": "ipc"}}),
}

# deploydocs: the mode and the lab come from the environment so that the
# Makefile and CI can choose them; -D deploydocs_mode=... overrides.
deploydocs_mode = os.environ.get("DEPLOYDOCS_MODE", "render") or "render"
deploydocs_lab = os.environ.get("DEPLOYDOCS_LAB", "docker") or "docker"
deploydocs_inventory = os.environ.get("DEPLOYDOCS_INVENTORY", "")
deploydocs_tools_dir = os.environ.get("DEPLOYDOCS_TOOLS_DIR", "")
deploydocs_strict = os.environ.get("DEPLOYDOCS_STRICT", "") not in ("", "0", "false", "no")
# The labs have no internet; a maintainer whose lab has it sets DEPLOYDOCS_INTERNET=1 so the
# blocks marked :needs-internet: (vagga's image downloads) run too.
deploydocs_internet = os.environ.get("DEPLOYDOCS_INTERNET", "") not in ("", "0", "false", "no")
if os.environ.get("READTHEDOCS") == "True":
    deploydocs_mode = "render"


def _escape_click_text(app: object, ctx: object, lines: list[str]) -> None:
    """Keep glob patterns in click help text (``*/master.yaml``) from reading as emphasis."""
    lines[:] = [line.replace("*", r"\*") for line in lines]


def setup(app: object) -> None:
    """Project-local hooks."""
    for event in ("sphinx-click-process-description", "sphinx-click-process-epilog"):
        app.connect(event, _escape_click_text)  # type: ignore[attr-defined]
