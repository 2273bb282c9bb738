"""verwalter's Lua 5.3, sandboxed: the one runtime the tree validator and schedule preview use.

verwalter runs ``scheduler/v1/main.lua`` in Lua 5.3 with the base, table,
string, utf8, math and debug libraries. :func:`open_sandbox` makes a fresh
:mod:`lupa` ``lua53`` runtime and takes away what verwalter does not give a
scheduler, and more:

* ``io``, ``os``, ``coroutine``, ``bit32``, ``dofile``, ``loadfile`` and
  ``package.loadlib`` are gone, C modules cannot load (``package.cpath`` is
  empty) and ``package.loaded`` keeps only the libraries above;
* Python objects handed to Lua have no attributes, Lua cannot ``eval``
  Python, and the runtime may use 512 MiB at the most;
* ``require "a/b"`` loads ``scheduler/v1/a/b.lua`` the way verwalter's
  searcher does: the name's extension is replaced by ``.lua``, so
  ``require "a.b"`` looks for ``a.lua``. A module outside the scheduler
  directory is never loaded;
* a hook stops the scheduler after *timeout* seconds, and, when an
  *instruction_limit* is given, after that many Lua instructions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 10.0
"""Seconds a scheduler may run (verwalter's watchdog allows 10 s for the first load)."""
_HOOK_EVERY = 100_000

_SANDBOX = r"""
local resolve, clock, deadline, limit, budget, every = ...
local load_file = loadfile
io, os, coroutine, bit32, python, dofile, loadfile = nil, nil, nil, nil, nil, nil, nil
package.loadlib, package.cpath, package.path = nil, "", ""
package.searchers = {function(name)
    local path, message = resolve(name)
    if not path then return message end
    local chunk, err = load_file(path)
    if not chunk then error(err, 0) end
    return chunk, path
end}
for key in pairs(package.loaded) do
    if key ~= "_G" and key ~= "string" and key ~= "table" and key ~= "math"
       and key ~= "utf8" and key ~= "debug" and key ~= "package" then
        package.loaded[key] = nil
    end
end
local spent = 0
debug.sethook(function()
    spent = spent + every
    if clock() > deadline then
        error(string.format("scheduler ran longer than %g s", limit), 2)
    end
    if budget and spent >= budget then
        error("instruction limit reached (endless loop?)", 2)
    end
end, "", every)

local function load_main(main_path)
    local chunk, err = load_file(main_path)
    if not chunk then return false, "load", err end
    local ok, module = xpcall(chunk, debug.traceback)
    if not ok then return false, "load", module end
    if type(module) ~= "table" then
        return false, "contract", "main.lua must return a table, it returned a " .. type(module)
    end
    if type(module.scheduler) ~= "function" then
        return false, "contract", "main.lua's table has no function `scheduler` (found a "
            .. type(module.scheduler) .. ")"
    end
    return true, module
end

local function call(module, input)
    local results = table.pack(xpcall(module.scheduler, debug.traceback, input))
    if not results[1] then return false, "run", results[2] end
    return true, results[2], results[3]
end

return load_main, call
"""


@dataclass
class Sandbox:
    """A fresh sandboxed Lua 5.3 for one scheduler directory (see the module notes)."""

    lua: Any
    scheduler_dir: Path
    _load_main: Any
    _call: Any

    def compile(self, source: str, name: str) -> tuple[Any, str | None]:
        """Compile Lua *source* as chunk *name* without running it.

        Returns ``(function, None)`` or ``(None, error message)``.
        """
        result = self.lua.globals().load(source, "@" + name)
        if isinstance(result, tuple):
            return None, str(result[1])
        return result, None

    def load_main(self) -> tuple[str | None, Any]:
        """Run ``main.lua`` and check it returns a table with a ``scheduler`` function.

        Returns ``(None, module)``, or ``(stage, message)`` where *stage* is
        ``"load"`` (it does not load or raised an error, the message carries
        a Lua traceback) or ``"contract"`` (it returned the wrong thing).
        May raise :class:`lupa.LuaError` or :class:`lupa.LuaMemoryError`.
        """
        ok, first, *rest = self._load_main(str(self.scheduler_dir / "main.lua"))
        return (None, first) if ok else (first, rest[0])

    def call(self, module: Any, scheduler_input: Any) -> tuple[bool, Any, Any]:
        """Call ``module.scheduler(scheduler_input)`` under a traceback handler.

        Returns ``(True, schedule, log)``, the scheduler's two return values,
        or ``(False, "run", message)``.
        """
        ok, first, second = self._call(module, scheduler_input)
        return ok, first, second

    def shorten(self, message: object) -> str:
        """*message* with the scheduler directory written as ``scheduler/v1/``."""
        return str(message).replace(str(self.scheduler_dir) + "/", "scheduler/v1/")


def lua_runtime() -> Any:
    """A bare :mod:`lupa` Lua 5.3 runtime that keeps Python out of Lua's reach."""
    import lupa.lua53 as lua53

    def no_attributes(obj: object, name: str, is_setting: bool) -> str:
        raise AttributeError("the scheduler sandbox gives no access to Python objects")

    return lua53.LuaRuntime(unpack_returned_tuples=True, register_eval=False,
                            register_builtins=False, attribute_filter=no_attributes,
                            max_memory=512 * 1024 * 1024)


def module_resolver(scheduler_dir: Path) -> Any:
    """verwalter's ``require`` search for *scheduler_dir*: name -> ``(path, "")`` or
    ``(None, reason)``; dotted names get a hint, paths outside the directory are refused."""
    def resolve(name: object) -> tuple[str | None, str]:
        text = str(name)
        # verwalter joins the name to the directory and then sets the extension to
        # ".lua", so "a.b" looks for "a.lua": dotted module names do not work there.
        path = (scheduler_dir / text).with_suffix(".lua")
        inside = path.resolve().is_relative_to(scheduler_dir)
        if inside and path.is_file():
            return str(path), ""
        hint = ""
        if "." in text and (scheduler_dir / (text.replace(".", "/") + ".lua")).is_file():
            hint = " (verwalter reads dots as an extension: require it with slashes)"
        where = path.relative_to(scheduler_dir) if inside else text
        return None, f"\n\tno file scheduler/v1/{where}{hint}"

    return resolve


def open_sandbox(scheduler_dir: Path, timeout: float = DEFAULT_TIMEOUT,
                 instruction_limit: int | None = None) -> Sandbox:
    """A fresh sandboxed Lua 5.3 whose ``require`` reads *scheduler_dir*.

    The *timeout* counts from now; *instruction_limit* (counted in steps of
    100,000) stops endless loops deterministically, whatever the machine's speed.
    """
    scheduler_dir = scheduler_dir.resolve()
    lua = lua_runtime()
    started = time.monotonic()
    load_main, call = lua.execute(_SANDBOX, module_resolver(scheduler_dir), time.monotonic,
                                  started + timeout, timeout, instruction_limit, _HOOK_EVERY)
    return Sandbox(lua, scheduler_dir, load_main, call)


__all__ = ["DEFAULT_TIMEOUT", "Sandbox", "lua_runtime", "module_resolver", "open_sandbox"]
