"""A small project using every deploydocs feature (the extension's own test root)."""

import os
import sys
from pathlib import Path

REPO = Path(os.environ.get("DEPLOYDOCS_REPO") or Path(__file__).resolve().parents[3])
sys.path[:0] = [str(REPO / "_ext"), str(REPO)]

project = "deploydocs test lab"
extensions = ["myst_parser", "deploydocs"]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**/_verified"]
myst_enable_extensions = ["colon_fence"]

deploydocs_mode = os.environ.get("DEPLOYDOCS_MODE", "render") or "render"
deploydocs_lab = os.environ.get("DEPLOYDOCS_LAB", "docker") or "docker"
deploydocs_tools_dir = os.environ.get("DEPLOYDOCS_TOOLS_DIR", "")
deploydocs_strict = os.environ.get("DEPLOYDOCS_STRICT", "") not in ("", "0", "false", "no")
deploydocs_secret_patterns = [r"token=([0-9a-f]{16})\b"]
deploydocs_secret_env = ["DEPLOYDOCS_TEST_SECRET"]
