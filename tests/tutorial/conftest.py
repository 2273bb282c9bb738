"""Make the tutorial's Django application importable and configured for its tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django
import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "tutorial" / "app"

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hello.settings")
os.environ.setdefault("NODE_NAME", "testnode")
# Django's test client sends "Host: testserver".
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
django.setup()


@pytest.fixture()
def app_dir() -> Path:
    """The directory holding manage.py, vagga.yaml and the hello package."""
    return APP_DIR
