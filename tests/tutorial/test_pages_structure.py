"""The tutorial's pages keep the promises of the style guide and the page syntax."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[2] / "tutorial"
STAND_INS = {"image-build", "render-preview"}
VALIDATE_KINDS = {
    "/etc/lithos/master.yaml": "lithos-master",
    "/etc/lithos/sandboxes/": "lithos-sandbox",
    "/etc/lithos/processes/": "lithos-process",
    "hello/config/": "lithos-container",
    "hello/vagga.yaml": "vagga",
}


def chapters() -> list[str]:
    index = (TUTORIAL / "index.rst").read_text(encoding="utf-8")
    toctree = index.split(".. toctree::", 1)[1]
    return re.findall(r"^   ([a-z-]+)$", toctree, flags=re.M)


def blocks(text: str, directive: str) -> list[tuple[str, dict[str, str]]]:
    """(argument, options) of every ``.. <directive>::`` in *text*."""
    found = []
    for match in re.finditer(rf"^\.\. {directive}:: (.*)\n((?:   :[^\n]*\n)*)", text, re.M):
        options = dict(re.findall(r"^   :([a-z-]+):\s*(.*)$", match.group(2), re.M))
        found.append((match.group(1).strip(), options))
    return found


def test_there_are_ten_chapters() -> None:
    assert len(chapters()) == 10
    for name in chapters():
        assert (TUTORIAL / f"{name}.rst").is_file()


@pytest.mark.parametrize("name", chapters())
def test_chapter_ends_with_what_you_have_now(name: str) -> None:
    text = (TUTORIAL / f"{name}.rst").read_text(encoding="utf-8")
    assert "\nWhat you have now\n=================\n" in text
    last = text.rsplit("What you have now", 1)[1]
    if name != chapters()[-1]:
        assert ":doc:`" in last, f"{name} does not point to the next chapter"


@pytest.mark.parametrize("name", chapters())
def test_stand_ins_are_named_ones(name: str) -> None:
    text = (TUTORIAL / f"{name}.rst").read_text(encoding="utf-8")
    for _, options in blocks(text, "lab-run"):
        if "stand-in" in options:
            assert options["stand-in"] in STAND_INS


@pytest.mark.parametrize("name", chapters())
def test_lithos_and_vagga_files_are_validated_with_the_right_kind(name: str) -> None:
    text = (TUTORIAL / f"{name}.rst").read_text(encoding="utf-8")
    for path, options in blocks(text, "lab-file"):
        for prefix, kind in VALIDATE_KINDS.items():
            if path.startswith(prefix):
                assert options.get("validate") == kind, f"{name}: {path}"


@pytest.mark.parametrize("name", chapters())
def test_commands_use_no_shell_braces_that_look_like_captures(name: str) -> None:
    text = (TUTORIAL / f"{name}.rst").read_text(encoding="utf-8")
    captured = set(re.findall(r":capture: ([A-Z_0-9]+)=", "\n".join(
        (TUTORIAL / f"{c}.rst").read_text(encoding="utf-8") for c in chapters())))
    for used in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text):
        assert used in captured, f"{name}: ${{{used}}} is never captured"
