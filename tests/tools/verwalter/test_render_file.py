"""The one reader of ``*.render.yaml`` behind the tree validator and render preview/apply."""

from __future__ import annotations

from pathlib import Path

from tools.verwalter.render_file import read_render_file, unknown_variables

TEXT = ("templates:\n  p: p.hbs\n"
        "commands:\n"
        "- !Copy {dest: '/etc/{{ role }}', mode: 0o600}\n"
        "- !Condition\n  dirs-changed: [/etc/x]\n  commands:\n"
        "  - !Cmd ['{{ first }}', '{{ files.p }}', '{{ files.q }}']\n")


def test_commands_come_with_line_key_defaults_and_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "a.render.yaml"
    path.write_text(TEXT)
    (tmp_path / "p.hbs").write_text("x")
    render_file, problems = read_render_file(path, "a.render.yaml")
    assert problems == []
    assert render_file is not None and render_file.template_path("p") == tmp_path / "p.hbs"
    assert [(c.tag, c.line, c.key) for c in render_file.all_commands()] == [
        ("Copy", 4, "commands[0]"), ("Condition", 5, "commands[1]"),
        ("Cmd", 8, "commands[1].commands[0]")]
    copy, condition = render_file.commands
    assert copy.value == {"src": "{{ tmp_file }}", "dest": "/etc/{{ role }}", "mode": 0o600}
    assert copy.given == {"dest", "mode"}
    assert condition.value["dirs-changed"] == ["/etc/x"]
    # Cmd's program is not expanded, so only the unknown template name counts
    assert list(unknown_variables(condition.value["commands"][0], render_file.templates)) == [
        ("[2]", "files.q")]


def test_text_without_a_path_skips_the_template_file_check() -> None:
    render_file, problems = read_render_file(TEXT, "a.render.yaml")
    assert problems == [] and render_file is not None and render_file.path is None


def test_a_broken_file_gives_no_render_file_and_names_the_line() -> None:
    render_file, problems = read_render_file("commands: [\n", "a.render.yaml")
    assert render_file is None
    # the '[' that is never closed, not the end of the file where the parser gave up
    assert [(p.file, p.line, p.column) for p in problems] == [("a.render.yaml", 1, 11)]
