"""Parsing lab blocks: commands and outputs, options, and the directives in reST and MyST."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploydocs.kinds.run import parse_commands
from deploydocs.parse import BlockSyntaxError, parse_block, parse_options

from tests.ext.conftest import build


def test_commands_split_into_text_expected_output_and_lines() -> None:
    lines = ["$ echo one \\", "    two", "one two", "", "$ ls", "a", "...", ""]
    commands = parse_commands(lines, list(range(10, 18)))
    assert [(c.text, c.expected, c.lineno, c.output_lines) for c in commands] == [
        ("echo one \\\n    two", ("one two",), 10, (12,)),
        ("ls", ("a", "..."), 14, (15, 16)),
    ]


def test_text_before_the_first_command_is_an_error_with_its_line() -> None:
    with pytest.raises(BlockSyntaxError) as error:
        parse_commands(["oops", "$ ls"], [5, 6])
    assert (error.value.key, error.value.lineno) == ("content", 5)


def test_a_dangling_continuation_is_an_error() -> None:
    with pytest.raises(BlockSyntaxError, match="continuation"):
        parse_commands(["$ echo \\"], [1])


def test_options_are_converted() -> None:
    options = parse_options("lab-run", {
        "session": "admin", "timeout": "5", "exit": "any", "wait-until": "120",
        "capture": r"LEADER=leader: (\S+)", "requires": "lithos verwalter", "hide": "",
        "normalize": "pids timestamps", "unordered": "", "stand-in": "render-preview"})
    assert options.session == "admin" and options.timeout == 5 and options.exit is None
    assert options.wait_until == 120 and options.captures == (("LEADER", r"leader: (\S+)"),)
    assert options.requires == ("lithos", "verwalter") and options.hide and options.unordered
    assert options.normalize == ("pids", "timestamps") and options.stand_in == "render-preview"


@pytest.mark.parametrize(("kind", "options", "key"), [
    ("lab-run", {"timeout": "soon"}, "timeout"),
    ("lab-run", {"exit": "maybe"}, "exit"),
    ("lab-run", {"capture": "X=no group"}, "capture"),
    ("lab-run", {"capture": "X=(a)(b)"}, "capture"),
    ("lab-run", {"normalize": "colours"}, "normalize"),
    ("lab-run", {"owner": "root"}, "owner"),
    ("lab-fault", {}, "action"),
    ("lab-fault", {"action": "reboot"}, "action"),
    ("lab-file", {"mode": "rw"}, "mode"),
])
def test_bad_options_name_their_key(kind: str, options: dict, key: str) -> None:
    with pytest.raises(BlockSyntaxError) as error:
        parse_options(kind, options)
    assert error.value.key == key


def test_check_lines_are_validated_with_their_line() -> None:
    with pytest.raises(BlockSyntaxError) as error:
        parse_block("lab-check", docname="d", source="d.rst", lineno=3, argument="node1",
                    raw_options={}, content=["port 80", "service foo"], content_lines=[5, 6])
    assert (error.value.key, error.value.lineno) == ("check", 6)


def test_source_hash_changes_with_the_text_only() -> None:
    def block(text: str, lineno: int) -> object:
        return parse_block("lab-run", docname="d", source="d.rst", lineno=lineno,
                           argument="node1", raw_options={}, content=[text],
                           content_lines=[lineno + 2])
    assert block("$ ls", 3).source_hash == block("$ ls", 30).source_hash
    assert block("$ ls", 3).source_hash != block("$ ls -l", 3).source_hash


def _blocks(result: object) -> dict:
    return result.app.env.deploydocs_blocks  # type: ignore[attr-defined]


def test_rest_and_myst_directives_give_the_same_blocks(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text((Path(__file__).parents[1] / "roots/test-lab/conf.py")
                                 .read_text())
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. toctree::\n\n   md\n\n"
        ".. lab-run:: node1 node2\n   :session: admin\n   :timeout: 5\n\n"
        "   $ echo hi\n   hi\n")
    (src / "md.md").write_text(
        "# MyST\n\n```{lab-run} node1 node2\n:session: admin\n:timeout: 5\n\n"
        "$ echo hi\nhi\n```\n\n```{lab-run} node3\n$ true\n```\n")
    result = build(src, "render", fresh=True)
    assert "WARNING" not in result.warnings, result.warnings
    rest, myst = _blocks(result)["index"][0], _blocks(result)["md"][0]
    assert rest.hosts == myst.hosts == ("node1", "node2")
    assert rest.source_hash == myst.source_hash
    assert (rest.lineno, rest.body[0].lineno, rest.body[0].output_lines) == (8, 12, (13,))
    assert (myst.lineno, myst.body[0].lineno, myst.body[0].output_lines) == (3, 7, (8,))
    bare = _blocks(result)["md"][1]
    assert (bare.lineno, bare.body[0].lineno) == (11, 12)


def test_a_bad_block_warns_at_its_line_and_the_build_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text((Path(__file__).parents[1] / "roots/test-lab/conf.py")
                                 .read_text())
    (src / "index.rst").write_text("Index\n=====\n\n.. lab-run:: node1\n   :timeout: soon\n\n"
                                   "   $ true\n")
    result = build(src, "render", fresh=True)
    assert ("index.rst:4: WARNING: lab-run [timeout]: timeout must be a number of seconds, "
            "not 'soon'") in result.warnings
