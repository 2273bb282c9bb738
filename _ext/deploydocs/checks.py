"""``lab-check`` lines: state assertions, evaluated with pytest-testinfra's modules.

Each check line is parsed into a :class:`Check`. Running it builds a
``testinfra.host.Host`` on :class:`LabBackend`, a testinfra backend whose
``run`` is the lab host's one-shot ``run`` (``bash -c`` on the node; not the
reader's session, so checks never change its cwd or environment). Then:

``process NAME``                      ``host.process.filter(comm=NAME)`` is not empty
``port N``                            ``host.socket.get_listening_sockets()`` has
                                      a TCP socket on port N (any address)
``file PATH``                         ``host.file(PATH).exists``
``file PATH contains TEXT``           ``host.file(PATH).contains(TEXT)`` (grep regex)
``http URL CODE [TEXT]``              no testinfra module: ``python3`` on the node fetches
                                      URL; status CODE and TEXT in the body
``command CMD exits N``               ``host.run(CMD).rc == N``
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHECK_KINDS = ("process", "port", "file", "http", "command")
_COMMAND = re.compile(r"^command (?P<cmd>.+) exits (?P<rc>\d+)$")
_FILE = re.compile(r"^file (?P<path>\S+)(?: contains (?P<text>.+))?$")
_HTTP = re.compile(r"^http (?P<url>https?://\S+) (?P<code>\d{3})(?: (?P<text>.+))?$")

_HTTP_PROBE = (
    "import sys, urllib.request, urllib.error\n"
    "try:\n"
    "    r = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
    "    code, body = r.status, r.read()\n"
    "except urllib.error.HTTPError as e:\n"
    "    code, body = e.code, e.read()\n"
    "print(code)\n"
    "sys.stdout.write(body.decode('utf-8', 'replace'))\n"
)


@dataclass(frozen=True)
class Check:
    """One parsed check line."""

    kind: str
    line: str
    args: tuple[str, ...]


def parse_check(line: str) -> Check:
    """Parse one check line; raise ``ValueError`` naming what is wrong.

    >>> parse_check("file /etc/lithos/master.yaml contains runtime").args
    ('/etc/lithos/master.yaml', 'runtime')
    >>> parse_check("command lithos_ps exits 0").args
    ('lithos_ps', '0')
    """
    kind = line.split(" ", 1)[0]
    if kind == "process" and len(line.split()) == 2:
        return Check(kind, line, (line.split()[1],))
    if kind == "port" and len(line.split()) == 2 and line.split()[1].isdigit():
        return Check(kind, line, (line.split()[1],))
    if kind == "file" and (m := _FILE.match(line)):
        return Check(kind, line, (m["path"], m["text"] or ""))
    if kind == "http" and (m := _HTTP.match(line)):
        return Check(kind, line, (m["url"], m["code"], m["text"] or ""))
    if kind == "command" and (m := _COMMAND.match(line)):
        return Check(kind, line, (m["cmd"], m["rc"]))
    raise ValueError(
        f"cannot read check {line!r}; expected one of: process NAME | port N | "
        "file PATH [contains TEXT] | http URL CODE [TEXT] | command CMD exits N")


def testinfra_host(run: Callable[[str], Any], name: str) -> Any:
    """A ``testinfra.host.Host`` whose commands go through *run* (a lab host's ``run``)."""
    import testinfra.backend.base
    import testinfra.host

    # testinfra has no type information, so its base class is Any to mypy.
    class LabBackend(testinfra.backend.base.BaseBackend):  # type: ignore[misc]
        """testinfra backend over a deploydocs lab host."""

        NAME = "deploydocs-lab"

        def run(self, command: str, *args: str, **kwargs: Any) -> Any:
            cmd = self.get_command(command, *args)
            result = run(cmd)
            return self.result(result.exit_status, self.encode(cmd), result.stdout,
                               result.stderr)

    backend = LabBackend(name)
    host = testinfra.host.Host(backend)
    backend.set_host(host)
    return host


def run_check(check: Check, host: Any) -> tuple[bool, str]:
    """Evaluate one check on a testinfra host; return (ok, what was seen)."""
    try:
        return _evaluate(check, host)
    except (AssertionError, RuntimeError, ValueError, NotImplementedError) as error:
        return False, f"{check.line}: could not check: {error}"


def _evaluate(check: Check, host: Any) -> tuple[bool, str]:
    if check.kind == "process":
        name = check.args[0]
        found = host.process.filter(comm=name[:15])
        pids = " ".join(str(p.pid) for p in found)
        return bool(found), (f"{check.line}: running (pid {pids})" if found
                             else f"{check.line}: not running")
    if check.kind == "port":
        # testinfra's is_listening("tcp://N") wants both 0.0.0.0 and ::; a port counts
        # here when anything listens on it, on any address.
        port = check.args[0]
        where = [s for s in host.socket.get_listening_sockets()
                 if s.startswith("tcp://") and s.rsplit(":", 1)[-1] == port]
        return bool(where), (f"{check.line}: listening ({', '.join(where)})" if where
                             else f"{check.line}: not listening")
    if check.kind == "file":
        path, text = check.args
        file = host.file(path)
        if not file.exists:
            return False, f"{check.line}: {path} does not exist"
        if text and not file.contains(text):
            return False, f"{check.line}: {path} does not contain {text!r}"
        return True, f"{check.line}: ok"
    if check.kind == "http":
        url, code, text = check.args
        result = host.run(f"python3 -c {shlex.quote(_HTTP_PROBE)} {shlex.quote(url)}")
        if result.rc != 0:
            return False, f"{check.line}: request failed: {_last_line(result.stderr)}"
        got_code, _, body = result.stdout.partition("\n")
        ok = got_code.strip() == code and (not text or text in body)
        return ok, f"{check.line}: got {got_code.strip()}, body {body[:80]!r}"
    if check.kind == "command":
        cmd, rc = check.args
        result = host.run(cmd)
        ok = result.rc == int(rc)
        return ok, f"{check.line}: exit {result.rc}" + ("" if ok else
                                                      f": {_last_line(result.stderr)}")
    raise ValueError(f"unknown check kind {check.kind}")


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:300] if lines else ""
