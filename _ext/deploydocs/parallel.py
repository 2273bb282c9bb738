"""One worker thread per host: a multi-host step's hosts at once, its results in host order.

A step runs in one session on each of its hosts, and its hosts are distinct
(the planner drops duplicates), so each worker owns one (host, session) pair
for the whole step and no session is ever used by two threads at once.
:func:`each_host` returns only once every worker has finished (the step's
barrier), with their results in the step's host order whatever order they
finished in. With *serial* (``deploydocs_serial``) the hosts take turns, as
before the workers existed, and a host whose result *stops* the step ends it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def each_host(hosts: Sequence[str], work: Callable[[str], T], *, serial: bool = False,
              stops: Callable[[T], bool] = lambda result: False) -> list[T]:
    """*work* on every host, concurrently unless *serial*; results in host order.

    Concurrently, every host runs to its end (a failure on one host does not cut
    short the others) and an exception raised on a host is raised again, the
    first in host order, once all have finished. Serially, the first result that
    *stops* is the last one.

    >>> each_host(["a", "b"], str.upper)
    ['A', 'B']
    >>> each_host(["a", "b", "c"], str.upper, serial=True, stops=lambda r: r == "B")
    ['A', 'B']
    """
    if serial or len(hosts) < 2:
        results: list[T] = []
        for host in hosts:
            results.append(work(host))
            if stops(results[-1]):
                break
        return results
    with ThreadPoolExecutor(max_workers=len(hosts), thread_name_prefix="deploydocs") as pool:
        futures = [pool.submit(work, host) for host in hosts]
        wait(futures)
    return [future.result() for future in futures]


def parallel_hosts(hosts: Sequence[str], serial: bool) -> bool:
    """Whether :func:`each_host` runs these hosts concurrently.

    >>> parallel_hosts(["node1", "node2"], False), parallel_hosts(["node1"], False)
    (True, False)
    """
    return not serial and len(hosts) > 1
