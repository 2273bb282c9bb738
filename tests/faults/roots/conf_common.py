"""Settings shared by the fault tests' small projects (each conf.py execs this file)."""

import os
import sys
from pathlib import Path

REPO = Path(os.environ["DEPLOYDOCS_REPO"])
sys.path[:0] = [str(REPO / "_ext"), str(REPO)]
extensions = ["myst_parser", "deploydocs"]

# What deploydocs reads: the mode and lab from the test's environment, what to redact.
deploydocs_mode = os.environ.get("DEPLOYDOCS_MODE", "render") or "render"
deploydocs_lab = os.environ.get("DEPLOYDOCS_LAB", "docker") or "docker"
deploydocs_secret_patterns = [r"token=([0-9a-f]{16})\b"]
deploydocs_secret_env = ["DEPLOYDOCS_FAULT_SECRET"]

# The project itself: rst and markdown pages, the verified records left out.
project = "deploydocs fault tests"
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**/_verified"]
