"""Settings for hello, read from the environment.

The application keeps no state: no database, no sessions, no uploads, and it
never writes to ``/tmp``. Everything that differs between a laptop and a
cluster node comes from environment variables:

``APP_VERSION``
    Overrides the version baked into the image (the ``VERSION`` file).
``NODE_NAME``
    Overrides the node name shown on the page (default: the hostname).
``DJANGO_DEBUG``
    ``1`` turns on Django's debug mode (development only).
``DJANGO_ALLOWED_HOSTS``
    Comma-separated host names the app answers to; ``*`` for any.
``DJANGO_SECRET_KEY``
    Optional. Nothing is signed across requests or nodes, so a random key
    per process is fine when it is unset.
``CANTAL_PATH``
    Where to export metrics for cantal (read by :mod:`hello.metrics`).
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "") in ("1", "true", "yes")


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


APP_VERSION = os.environ.get("APP_VERSION") or (PACKAGE_DIR / "VERSION").read_text().strip()
NODE_NAME = os.environ.get("NODE_NAME") or socket.gethostname()

DEBUG = _flag("DJANGO_DEBUG")
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)

INSTALLED_APPS = ["hello"]
MIDDLEWARE = [
    "hello.middleware.count_requests",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "hello.urls"
WSGI_APPLICATION = "hello.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
DATABASES: dict[str, dict[str, str]] = {}

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False

# Log to stderr: lithos collects it in /var/log/lithos/stderr/<sandbox>.log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
}
