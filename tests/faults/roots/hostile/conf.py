"""A small project of the fault tests (settings in ../conf_common.py)."""

from pathlib import Path

exec((Path(__file__).resolve().parent.parent / "conf_common.py").read_text())
