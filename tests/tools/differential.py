"""Seeded edits of real config files, judged by ``validate`` and by the real tools.

Used by ``test_differential.py`` (``real_tools``) and runnable on its own to print the
agreement per kind::

    TOOLS_DIR=/path/to/bin python -m tests.tools.differential [--edits N]

An *edit* is one small change an operator makes by mistake: a key misspelt, a value
replaced, a line deleted, doubled or re-indented, a tag misspelt. Each edited file is
judged twice: by the real binary (accepts when it exits 0) and by ``validate`` (accepts
when it reports no error; warnings accept). They *agree* when both accept or both refuse.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

VALUES = ("99999999999", "-1", "yes", "x y", "1.5", "256MB", "", "[]", "{}", "0", "0x10",
          "~", "'quoted'", "/abs/path", "rel/path", "!Tmpfs {}", "@{var}")
"""What a value-change edit puts in place of a value."""

KEY_RE = re.compile(r"^(?P<indent>\s*(?:- )?)(?P<key>[A-Za-z_][\w-]*)(?P<colon>:)(?P<rest>.*)$")
TAG_RE = re.compile(r"!(?P<name>[A-Z]\w+)")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word + "x"
    index = rng.randrange(len(word) - 1)
    choice = rng.randrange(3)
    if choice == 0:  # swap two neighbours
        return word[:index] + word[index + 1] + word[index] + word[index + 2:]
    if choice == 1:  # drop one
        return word[:index] + word[index + 1:]
    return word[:index] + rng.choice("aeiourst") + word[index:]  # add one


def edit(text: str, rng: random.Random) -> tuple[str, str]:
    """One seeded edit of *text*: ``(what was done, the edited text)``."""
    lines = text.splitlines()
    meaningful = [i for i, line in enumerate(lines)
                  if line.strip() and not line.lstrip().startswith("#")]
    if not meaningful:
        return "nothing to edit", text
    kind = rng.choice(("key", "value", "delete", "duplicate", "indent", "tag"))
    index = rng.choice(meaningful)
    line = lines[index]
    match = KEY_RE.match(line)
    if kind == "key" and match:
        lines[index] = (match["indent"] + _typo(match["key"], rng) + match["colon"]
                        + match["rest"])
    elif kind == "value" and match and match["rest"].strip():
        lines[index] = f"{match['indent']}{match['key']}: {rng.choice(VALUES)}"
    elif kind == "tag" and TAG_RE.search(line):
        tag = TAG_RE.search(line)
        assert tag is not None
        lines[index] = line[:tag.start("name")] + _typo(tag["name"], rng) + line[tag.end():]
    elif kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, line)
    else:
        kind = "indent"
        if rng.random() < 0.5 and line.startswith(" "):
            lines[index] = line[rng.choice((1, 2)):]
        else:
            lines[index] = " " * rng.choice((1, 2, 4)) + line
    return f"{kind} at line {index + 1}", "\n".join(lines) + "\n"


ENVIRONMENT = re.compile(r"must exist|No such file or directory|Error reading file|"
                         r"error reading directory|^timed out")
"""What lithos_check says when it looked at this machine's files (an image, a directory
a master names), or that it did not finish: ``validate`` checks configs, not the
machine it runs on, so such an edit is counted apart, not judged."""

UNREADABLE_CHILD = "Can't read child config"
"""lithos_check -C's word for a process file it cannot read: logged at WARN level with
exit 0, yet the sandbox runs nothing; counted as the real tool refusing the file."""


@dataclass
class Verdict:
    """One edited file, judged both ways."""

    source: str
    edit: str
    real_accepts: bool
    ours_accepts: bool
    real_says: str = ""
    ours_says: str = ""
    text: str = field(default="", repr=False)
    """The edited text, to look at a disagreement again."""

    @property
    def agree(self) -> bool:
        return self.real_accepts == self.ours_accepts

    @property
    def environment(self) -> bool:
        """Whether the real tool refused for a file missing on this machine."""
        return not self.real_accepts and bool(ENVIRONMENT.search(self.real_says))


@dataclass
class Tally:
    """The verdicts of one kind."""

    kind: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def judged(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.environment]

    @property
    def disagreements(self) -> list[Verdict]:
        return [v for v in self.judged if not v.agree]

    def line(self) -> str:
        apart = len(self.verdicts) - len(self.judged)
        return (f"{self.kind}: {len(self.judged)} edits judged, "
                f"{len(self.disagreements)} disagreements"
                + (f" ({apart} more refused for this machine's files, not judged)"
                   if apart else ""))


def _ours(paths: list[Path], kind: str | None = None) -> tuple[bool, str]:
    from tools.validate import validate_paths

    try:
        results = validate_paths(paths, kind)
    except Exception as exc:  # a usage error counts as a refusal, said
        return False, f"{type(exc).__name__}: {exc}"
    errors = [str(p) for r in results for p in r.problems if p.severity == "error"]
    return not errors, "; ".join(errors)[:300]


def _run(argv: list[str], cwd: Path | None = None) -> tuple[bool, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd,
                              env={**os.environ, "RUST_LOG": "warn"}, check=False)
    except subprocess.TimeoutExpired:
        return False, "timed out after 60 s"
    said = " ".join((done.stderr + done.stdout).split())
    return done.returncode == 0, said[-3000:]


def _seed(source: Path) -> str:
    """A seed that names the file the same way on every machine and run."""
    return f"{source.parent.name}/{source.name}"


def _edits(text: str, count: int, seed: str,
           editor: Callable[[str, random.Random], tuple[str, str]] | None = None
           ) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    seen = {text}
    for _ in range(count * 3):
        what, edited = (editor or edit)(text, rng)
        if edited in seen:
            continue
        seen.add(edited)
        yield what, edited
        count -= 1
        if count == 0:
            return


# --------------------------------------------------------------------------- lithos


def lithos_containers(lithos_bin: Path, sources: list[Path], count: int) -> Tally:
    """Each container config edited, judged by ``lithos_check --check-container``."""
    tally = Tally("lithos-container")
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "config" / "web.yaml"
        target.parent.mkdir()
        for source in sources:
            for what, edited in _edits(source.read_text(), count, _seed(source)):
                target.write_text(edited)
                real, real_says = _run([str(lithos_bin / "lithos_check"),
                                        "--check-container", str(target)])
                ours, ours_says = _ours([target], "lithos-container")
                tally.verdicts.append(Verdict(str(source), what, real, ours, real_says,
                                              ours_says))
    return tally


def lithos_trees(lithos_bin: Path, files: dict[str, str], image: str, count: int) -> Tally:
    """Each of master/sandbox/process of a generated layout edited, judged by
    ``lithos_check -C master.yaml``."""
    from tools.lithos.check import check_layout

    tally = Tally("lithos-tree (master, sandbox, process)")
    for relative in ("master.yaml", "sandboxes/django.yaml", "processes/django.yaml"):
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            master = check_layout(files, root, image)
            target = root / relative
            original = target.read_text()
            for what, edited in _edits(original, count, relative):
                target.write_text(edited)
                real, real_says = _run([str(lithos_bin / "lithos_check"), "-C",
                                        str(master)])
                real = real and UNREADABLE_CHILD not in real_says
                ours, ours_says = _ours([root / "master.yaml", root / "sandboxes",
                                         root / "processes"])
                tally.verdicts.append(Verdict(relative, what, real, ours, real_says,
                                              ours_says))
            target.write_text(original)
    return tally


# --------------------------------------------------------------------------- vagga


def vagga_files(vagga: Path, sources: list[Path], count: int) -> Tally:
    """Each vagga.yaml edited, judged by ``vagga _list`` (it loads and checks the config
    offline)."""
    tally = Tally("vagga")
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        for source in sources:
            for what, edited in _edits(source.read_text(), count, _seed(source)):
                (project / "vagga.yaml").write_text(edited)
                real, real_says = _run([str(vagga), "_list"], cwd=project)
                ours, ours_says = _ours([project / "vagga.yaml"], "vagga")
                tally.verdicts.append(Verdict(str(source), what, real, ours, real_says,
                                              ours_says, edited))
    return tally


# --------------------------------------------------------------------------- verwalter


def verwalter_templates(binary: Path, count: int) -> Tally:
    """The scaffold's template edited, judged by ``verwalter_render --dry-run`` with the
    schedule a preview makes; ``validate`` judges the whole tree."""
    from tools.verwalter.render import VERWALTER_VERSION, build_vars
    from tools.verwalter.render_check import RenderCheckError, run_real_render
    from tools.verwalter.schedule import preview
    from tools.verwalter.tree import scaffold_tree

    tally = Tally("verwalter-template")
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "v"
        scaffold_tree(tree, role="django", image="django-deploy.01234567")
        made = preview(tree, current_host="node1", check_determinism=False)
        schedule = made.schedule or {}
        variables = {k: v for k, v in build_vars(schedule, "node1", "django").items()
                     if k != "full_schedule"}
        variables["verwalter_version"] = VERWALTER_VERSION
        template = tree / "templates/django/v1/lithos.yaml.hbs"
        original = template.read_text()
        texts = [original, original.replace("{{/each}}", "{{#if image}}{{image}}{{/if}}\n"
                                            "{{/each}}")]
        for number, base in enumerate(texts):
            for what, edited in _edits(base, count, f"hbs{number}", hbs_edit):
                template.write_text(edited)
                try:
                    run_real_render(str(binary), tree, variables, schedule)
                    real, real_says = True, ""
                except RenderCheckError as exc:
                    real, real_says = False, str(exc)[-300:]
                ours, ours_says = _ours([tree], "verwalter-tree")
                tally.verdicts.append(Verdict(f"lithos.yaml.hbs#{number}", what, real, ours,
                                              real_says, ours_says))
        template.write_text(original)
    return tally


def hbs_edit(text: str, rng: random.Random) -> tuple[str, str]:
    """An edit of a handlebars template: a block tag or a variable name changed."""
    tags = list(re.finditer(r"\{\{[#/]?(\w+)", text))
    if not tags or rng.random() < 0.3:
        return edit(text, rng)
    tag = rng.choice(tags)
    start, end = tag.span(1)
    choice = rng.randrange(3)
    if choice == 0:
        return "name typo", text[:start] + _typo(tag[1], rng) + text[end:]
    if choice == 1:
        return "tag deleted", text[:tag.start()] + text[text.find("}}", end) + 2:]
    return "braces broken", text[:tag.start()] + "{" + text[tag.start() + 2:]


# --------------------------------------------------------------------------- corpus


def upstream_lithos_containers() -> list[Path]:
    """Container configs of lithos 0.18.4's own examples (from cargo's registry, where
    the lab's lithos build unpacked the crate), when this machine has them."""
    found: list[Path] = []
    for root in Path.home().glob(".cargo/registry/src/*/lithos-0.18.4/examples"):
        found += sorted(root.glob("*/code/*.yaml"))
    return found


VAGGA_SOURCE = Path("/var/cache/deploydocs/real-tools/src/vagga")
"""Where the real-tools build keeps vagga 0.8.1's source (with its examples)."""


def upstream_vagga_files() -> list[Path]:
    """vagga.yaml files of vagga 0.8.1's own examples, from $VAGGA_SRC or the real-tools
    build's source, when this machine has them."""
    source = Path(os.environ.get("VAGGA_SRC") or VAGGA_SOURCE)
    return sorted(source.glob("examples/*/vagga.yaml"))


def generated_container(scratch: Path) -> tuple[Path, dict[str, str], str]:
    from tools.lithos.generate import DjangoParams, generate_files

    params = DjangoParams(image="django-deploy.01234567")
    files = generate_files(params)
    path = scratch / "generated-web.yaml"
    path.write_text(files["config/web.yaml"])
    return path, files, params.image


def generated_vagga(scratch: Path) -> Path:
    from tools.vagga import VaggaParams, tutorial_vagga_yaml

    path = scratch / "vagga.yaml"
    path.write_text(tutorial_vagga_yaml(VaggaParams()))
    return path


def run_all(tools_dir: Path, lithos_bin: Path | None, count: int,
            report: Callable[[Tally], None]) -> list[Tally]:
    """Every kind whose real binary is here, *count* edits a source file."""
    tallies = []
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        container, files, image = generated_container(scratch)
        if lithos_bin is not None:
            tallies.append(lithos_containers(lithos_bin, [container,
                                                          *upstream_lithos_containers()],
                                             count))
            report(tallies[-1])
            tallies.append(lithos_trees(lithos_bin, files, image, count))
            report(tallies[-1])
        if (tools_dir / "vagga").is_file():
            tallies.append(vagga_files(tools_dir / "vagga", [generated_vagga(scratch),
                                                             *upstream_vagga_files()], count))
            report(tallies[-1])
        if (tools_dir / "verwalter_render").is_file():
            tallies.append(verwalter_templates(tools_dir / "verwalter_render", count))
            report(tallies[-1])
    return tallies


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40, help="edits a source file")
    parser.add_argument("--show", action="store_true", help="print every disagreement")
    parser.add_argument("--json", dest="json_out", help="write the verdicts here")
    args = parser.parse_args()
    tools_dir = Path(os.environ.get("TOOLS_DIR", "/nonexistent"))
    lithos_bin = None
    for candidate in sorted(Path("/var/cache/deploydocs").glob("lithos-0.18.4-*/bin")):
        lithos_bin = candidate

    def report(tally: Tally) -> None:
        print(tally.line(), flush=True)
        if args.show:
            for v in tally.disagreements:
                print(f"  {v.source} {v.edit}: real {'accepts' if v.real_accepts else 'refuses'}"
                      f" ({v.real_says[-160:]}); validate "
                      f"{'accepts' if v.ours_accepts else 'refuses'} ({v.ours_says[:200]})")

    tallies = run_all(tools_dir, lithos_bin, args.edits, report)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(
            {t.kind: [v.__dict__ for v in t.verdicts] for t in tallies}, indent=1))


if __name__ == "__main__":
    main()
