"""Middleware: count every request hello answers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hello import metrics


def count_requests(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Add one to the ``requests`` counter for each request, health checks included."""

    def middleware(request: HttpRequest) -> HttpResponse:
        metrics.METRICS.requests.incr()
        return get_response(request)

    return middleware
