"""Settings shared by the fault tests' small projects (each conf.py execs this file)."""

import os
import sys
from pathlib import Path

REPO = Path(os.environ["DEPLOYDOCS_REPO"])
sys.path[:0] = [str(REPO / "_ext"), str(REPO)]

project = "deploydocs fault tests"
extensions = ["myst_parser", "deploydocs"]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**/_verified"]
deploydocs_mode = os.environ.get("DEPLOYDOCS_MODE", "render") or "render"
deploydocs_lab = os.environ.get("DEPLOYDOCS_LAB", "docker") or "docker"
deploydocs_secret_patterns = [r"token=([0-9a-f]{16})\b"]
deploydocs_secret_env = ["DEPLOYDOCS_FAULT_SECRET"]
