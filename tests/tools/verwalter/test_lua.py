"""The one sandboxed Lua 5.3 that the tree validator and schedule preview share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.verwalter.lua import open_sandbox


def scheduler_dir(tmp_path: Path, main_lua: str, **modules: str) -> Path:
    directory = tmp_path / "scheduler" / "v1"
    directory.mkdir(parents=True)
    (directory / "main.lua").write_text(main_lua)
    for name, text in modules.items():
        (directory / f"{name}.lua").write_text(text)
    return directory


@pytest.mark.parametrize("name", ["io", "os", "coroutine", "bit32", "dofile", "loadfile",
                                  "python"])
def test_what_verwalter_does_not_give_a_scheduler_is_gone(tmp_path: Path, name: str) -> None:
    sandbox = open_sandbox(scheduler_dir(tmp_path, "return {}\n"))
    assert sandbox.lua.eval(f"type({name})") == "nil"
    assert sandbox.lua.eval("package.loadlib") is None


def test_main_lua_loads_with_modules_required_by_slash_paths(tmp_path: Path) -> None:
    directory = scheduler_dir(tmp_path, 'local u = require "util"\n'
                              "return {scheduler = function() return u.answer end}\n",
                              util="return {answer = 42}\n")
    sandbox = open_sandbox(directory)
    stage, module = sandbox.load_main()
    assert stage is None
    assert sandbox.call(module, None) == (True, 42, None)


@pytest.mark.parametrize(("main_lua", "stage", "message"), [
    ("return 42\n", "contract", "must return a table, it returned a number"),
    ("return {}\n", "contract", "no function `scheduler`"),
    ('return require "../../outside"\n', "load", "module '../../outside' not found"),
    ("while true do end\n", "load", "scheduler/v1/main.lua:1: instruction limit reached"),
])
def test_load_main_names_what_went_wrong(tmp_path: Path, main_lua: str, stage: str,
                                        message: str) -> None:
    (tmp_path / "outside.lua").write_text("return {}\n")
    sandbox = open_sandbox(scheduler_dir(tmp_path, main_lua), instruction_limit=1_000_000)
    found, text = sandbox.load_main()
    assert found == stage
    assert message in sandbox.shorten(text)
