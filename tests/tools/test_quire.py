"""quire's reading rules, as tools.quire applies them."""

from __future__ import annotations

import pytest

from tools.quire import (
    INVALID,
    Bool,
    Enum,
    Int,
    Mapping,
    Seq,
    Str,
    Struct,
    Tagged,
    check,
    dump,
    key_path,
    load,
    parse_int,
    plain,
)

SCHEMA = Struct({
    "log-level": Str(default="warn"),
    "auto-clean": Bool(default=True),
    "size": Int(default=0),
    "names": Seq(Str()),
    "env": Mapping(Str()),
    "volume": Enum({"Tmpfs": Struct({"size": Int(default=1)}), "Readonly": Str(),
                    "Empty": None}, optional=True),
})


def run(text: str, schema=SCHEMA):
    node, problems = load(text, "f.yaml")
    value, more = check(node, schema, "f.yaml")
    return value, problems + more


def where(problems) -> list[str]:
    return [f"{p.file}:{p.line}: {p.key}" for p in problems if p.severity == "error"]


def test_dash_and_underscore_spellings_name_the_same_key() -> None:
    for spelling in ("log-level", "log_level"):
        value, problems = run(f"{spelling}: info\n")
        assert problems == [] and value["log-level"] == "info"


def test_unknown_keys_are_rejected_with_file_line_and_key() -> None:
    _, problems = run("log-level: info\nloglevel: debug\n")
    assert where(problems) == ["f.yaml:2: loglevel"]
    assert "did you mean 'log-level'" in problems[0].message


def test_underscore_prefixed_keys_are_ignored_and_hold_anchors() -> None:
    value, problems = run("_defaults: &d {log-level: info}\n<<: *d\nsize: 1\n")
    assert problems == [] and value["log-level"] == "info"


@pytest.mark.parametrize("text", ["yes", "no", "on", "True", "FALSE", "1"])
def test_only_true_and_false_are_booleans(text: str) -> None:
    _, problems = run(f"auto-clean: {text}\n")
    assert where(problems) == ["f.yaml:1: auto-clean"]


def test_yes_is_a_plain_string_in_a_string_field() -> None:
    value, problems = run("log-level: yes\n")
    assert problems == [] and value["log-level"] == "yes"


@pytest.mark.parametrize(("text", "number"), [
    ("100", 100), ("1k", 1000), ("2M", 2_000_000), ("3G", 3_000_000_000),
    ("1ki", 1024), ("100Mi", 100 << 20), ("2Gi", 2 << 30), ("0x1f", 31), ("0o755", 493),
    ("0b101", 5), ("+7", 7), ("-3", -3), ("0x10k", 16_000),
    # humannum 0.1.0 (what lithos 0.18.4 is built with) skips "_" after the first
    # digit and trims spaces; the real lithos_check 0.18.4 accepts "1_000"
    ("1_000", 1000), ("0x1_0", 16), ("'16 Mi'", 16 << 20),
])
def test_integers_take_unit_suffixes_and_radix_prefixes(text: str, number: int) -> None:
    assert parse_int(text.strip("'")) == number
    value, problems = run(f"size: {text}\n")
    assert problems == [] and value["size"] == number


@pytest.mark.parametrize("text", ["_1", "1.5", "0.5", "1e3", "1Ki", "1K", "ten", "0x", "k"])
def test_numbers_quire_refuses(text: str) -> None:
    _, problems = run(f"size: {text}\n")
    assert where(problems) == ["f.yaml:1: size"]


def test_floats_and_separators_get_a_hint() -> None:
    assert "floats" in run("size: 0.5\n")[1][0].message
    assert "floats" in run("size: 1e3\n")[1][0].message


def test_local_tags_select_enum_variants() -> None:
    value, problems = run("volume: !Tmpfs {size: 1Mi}\n")
    assert problems == [] and value["volume"].tag == "Tmpfs"
    assert value["volume"].value["size"] == 1 << 20
    value, problems = run("volume: !Empty\n")
    assert problems == [] and value["volume"].tag == "Empty"
    _, problems = run("volume: !Bogus /x\n")
    assert where(problems) == ["f.yaml:1: volume"]
    _, problems = run("volume: /x\n")
    assert where(problems) == ["f.yaml:1: volume"]


def test_a_tag_before_a_compact_mapping_applies_to_the_mapping() -> None:
    node, problems = load("- !AptTrust keys: [a]\n  server: s\n", "f.yaml")
    assert problems == []
    item = node.value[0]
    assert item.tag == "!AptTrust" and plain(item) == {"keys": ["a"], "server": "s"}


def test_a_duplicate_anchor_redefines_the_first() -> None:
    node, problems = load("a: &x 1\nb: &x 2\nc: *x\n", "f.yaml")
    assert problems == [] and plain(node)["c"] == "2"


def test_merge_keys_fill_only_missing_keys() -> None:
    node, problems = load("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert problems == [] and plain(node)["other"] == {"y": "3", "x": "1"}


def test_merge_of_a_scalar_is_an_error() -> None:
    _, problems = load("a:\n  <<: 1\n", "f.yaml")
    assert where(problems) == ["f.yaml:2: a.<<"]


def test_a_duplicate_key_is_an_error_like_in_quire() -> None:
    _, problems = run("size: 1\nsize: 2\n")
    assert where(problems) == ["f.yaml:2: size"]


def test_only_tilde_null_and_empty_are_null() -> None:
    node, _ = load("a: ~\nb: null\nc:\nd: Null\ne: ''\n", "f.yaml")
    kinds = {k: v.kind for k, v in node.value}
    assert kinds == {"a": "null", "b": "null", "c": "null", "d": "scalar", "e": "scalar"}


def test_yaml_syntax_errors_name_the_line() -> None:
    node, problems = load("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert node is None and problems[0].line >= 2 and "YAML syntax error" in problems[0].message


def test_an_alias_to_an_unknown_anchor_is_a_problem_not_an_exception() -> None:
    node, problems = load("a: *nope\n", "f.yaml")
    assert node is None and problems


def test_required_fields_and_nested_keys_are_named() -> None:
    schema = Struct({"outer": Struct({"inner": Int()})})
    value, problems = run("outer: {}\n", schema)
    assert value is INVALID and where(problems) == ["f.yaml:1: outer.inner"]


def test_dump_writes_local_tags_that_load_back() -> None:
    text = dump({"volumes": {"/tmp": Tagged("!Tmpfs", {"size": "1Mi"}),
                             "/state": Tagged("!Statedir", {}),
                             "/ro": Tagged("!Readonly", "/x")}})
    node, problems = load(text, "f.yaml")
    volumes = node.get("volumes")
    assert problems == []
    assert [v.tag for _, v in volumes.value] == ["!Tmpfs", "!Statedir", "!Readonly"]


# --------------------------------------------------------------------------- syntax errors

SYNTAX_ERRORS = [
    # (text, line, column, key, words the message must use)
    ("containers:\n  a:\n    setup: [!Sh x\n    environ: {}\n", 3, 12, "containers.a.setup",
     "'[' is never closed"),
    ("a: {b: 1\n", 1, 4, "a", "'{' is never closed"),
    ("web: [\n", 1, 6, "web", "before the end of the file"),
    ("containers:\n  a:\n    setup:\n    - !Sh x\n   environ: {}\n", 5, 4,
     "containers.a.environ", "indentation of this line (3 spaces)"),
    ("a:\n  b: 1\n    c: 2\n", 3, 5, "a.b.c", "indented under 'b' (line 2)"),
    ("containers:\n\ta: {}\n", 2, 1, "containers.a", "a tab character"),
    ("commands:\n  run: !Command\n    run: echo a: b\n", 3, 16, "commands.run.run",
     "put the value in quotes"),
    ("containers:\n  a:\n    setup:\n    - !Sh \"echo\n", 4, 11, "containers.a.setup[0]",
     "quoted string is never closed"),
    ("containers:\n  a\n  b: {}\n", 2, 4, "containers.a", "'a' has no ':' after it"),
    ("a: 1\nb\nc: 2\n", 2, 2, "b", "':' is missing after it"),
    ("containers:\n  a: *x\n", 2, 6, "containers.a", "*x refers to no anchor &x"),
    ("a: 1\n- b\n", 2, 1, "[0]", "a list item where the mapping of line 1 expects a key"),
    ("a: 1\n---\nb: 2\n", 2, 1, "yaml", "a second YAML document"),
]


@pytest.mark.parametrize(("text", "line", "column", "key", "words"), SYNTAX_ERRORS)
def test_syntax_errors_point_at_the_mistake_in_our_own_words(
        text: str, line: int, column: int, key: str, words: str) -> None:
    node, problems = load(text, "f.yaml")
    assert node is None and len(problems) == 1
    problem = problems[0]
    assert (problem.line, problem.column, problem.key) == (line, column, key)
    assert words in problem.message
    assert problem.message.startswith("YAML syntax error: ")
    assert str(problem).startswith(f"f.yaml:{line}:{column}: {key}: ")
    # the parser's own phrasing stays out
    for raw in ("while parsing", "while scanning", "<block", "could not find expected"):
        assert raw not in problem.message


def test_a_duplicate_key_names_the_line_of_the_first_one() -> None:
    _, problems = load("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n", "f.yaml")
    assert [(p.line, p.column, p.key) for p in problems] == [(5, 3, "b.c")]
    assert "first written at line 3" in problems[0].message


def test_a_wrong_tag_gets_the_closest_valid_tags_of_that_place() -> None:
    schema = Struct({"v": Enum({"Tmpfs": None, "Readonly": Str(), "Persistent": Str()})})
    node, _ = load("v: !Readnly /x\n", "f.yaml")
    problems = check(node, schema, "f.yaml")[1]
    assert [str(p) for p in problems] == [
        "f.yaml:1:4: v: unknown tag !Readnly (did you mean !Readonly?)"]
    node, _ = load("v: !Zzz /x\n", "f.yaml")
    problems = check(node, schema, "f.yaml")[1]
    assert problems[0].message == ("unknown tag !Zzz; expected one of !Tmpfs, !Readonly, "
                                   "!Persistent")


def test_key_path_follows_indentation_lists_and_compact_lists() -> None:
    text = "a:\n  b:\n  - x: 1\n  - y: 2\n    z: 3\nc: 4\n"
    assert [key_path(text, n) for n in range(1, 7)] == [
        "a", "a.b", "a.b[0].x", "a.b[1].y", "a.b[1].z", "c"]


@pytest.mark.parametrize(("number", "delta"), [(2, 1), (3, 1), (3, -1), (4, 1), (4, -1)])
def test_a_mis_indented_line_is_blamed_not_the_sibling_after_it(number: int,
                                                                delta: int) -> None:
    """The parser gives up at the first right line after the wrong one; the problem is
    reported at the wrong one, with the indentation its siblings use."""
    from tools.vagga import VaggaParams, tutorial_vagga_yaml
    from tools.validate import validate_text

    lines = tutorial_vagga_yaml(VaggaParams()).splitlines()
    original = lines[number - 1]
    lines[number - 1] = " " * delta + original if delta > 0 else original[-delta:]
    (problem,) = [p for p in validate_text("\n".join(lines) + "\n", "vagga", "v.yaml")
                  if p.rule == "yaml-syntax"]
    assert problem.line == number, problem
    assert "indent it like" in problem.message


@pytest.mark.parametrize(("text", "line", "said"), [
    ("a:\n  - !Py2Install\n   - carbon\n", 3, "Unindent doesn't match"),
    ("a:\n- !EnsureDir /app\n  - !EnsureDir /config\n", 3, "got SequenceEntry"),
    ("a:\n- !Env\n      V: 1\n", 3, "got Indent"),
])
def test_indentation_quire_refuses_and_yaml_reads(text: str, line: int, said: str) -> None:
    """Each seen on the real vagga 0.8.1 (vagga _list), which refuses what YAML reads."""
    _, problems = load(text, "v.yaml")
    (problem,) = problems
    assert (problem.line, problem.rule) == (line, "yaml-syntax")
    assert said in problem.message


@pytest.mark.parametrize("text", [
    "run:\n- ldapsearch\n - -H\n",                   # a plain text goes on
    "a:\n- pkg=1\n  - !EnsureDir /x\n",              # so does this
    "run: |\n    sleep 1\n   exec x\nb: 1\n",        # a block scalar's lines may go back
])
def test_indentation_quire_reads_like_yaml_or_more_leniently(text: str) -> None:
    assert load(text, "v.yaml")[1] == []


def test_a_key_with_no_value_twice_is_vaggas_leniency_only() -> None:
    """vagga 0.8.1's quire takes it, lithos 0.18.4's refuses it ("Duplicate key")."""
    assert load("a:\n  k:\n  k:\n", "v.yaml", empty_twice=True)[1] == []
    assert [p.rule for p in load("a:\n  k:\n  k:\n", "m.yaml")[1]] == ["duplicate-key"]
