"""The three things hello answers: its page, a plain-text identity and a health check."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Each version looks different, so that an upgrade can be seen from across
# the room. Version 2 is the one the tutorial rolls out later.
THEMES = {
    "1": {"greeting": "Hello from the cluster", "colour": "#1f5fa8"},
    "2": {"greeting": "Hello again, now in green", "colour": "#1e7d46"},
}
DEFAULT_THEME = {"greeting": "Hello", "colour": "#444444"}


def index(request: HttpRequest) -> HttpResponse:
    """The page: version, node and request count."""
    theme = THEMES.get(settings.APP_VERSION, DEFAULT_THEME)
    return render(
        request,
        "hello/index.html",
        {"version": settings.APP_VERSION, "node": settings.NODE_NAME, **theme},
    )


def whoami(request: HttpRequest) -> HttpResponse:
    """One line for scripts and for curl: ``version 1 on node1``."""
    return HttpResponse(
        f"version {settings.APP_VERSION} on {settings.NODE_NAME}\n",
        content_type="text/plain; charset=utf-8",
    )


def health(request: HttpRequest) -> HttpResponse:
    """``ok`` as long as the process can answer requests."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
