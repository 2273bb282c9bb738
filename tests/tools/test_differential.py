"""The real binaries are the judge: seeded edits of upstream examples and of generated
configs, each judged by the real tool and by ``validate``, must get the same verdict.

Runs with TOOLS_DIR (real verwalter_render, vagga) and the lab's lithos 0.18.4 build;
see :mod:`tests.tools.differential` for the edits and what counts as agreeing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.tools import differential
from tests.tools.lithos.conftest import find_lithos_bin

EDITS = int(os.environ.get("DIFFERENTIAL_EDITS", "30"))


def _explain(tally: differential.Tally) -> str:
    return "\n".join(f"{v.source} {v.edit}: real {'accepts' if v.real_accepts else 'refuses'}"
                     f" ({v.real_says[-200:]}); validate "
                     f"{'accepts' if v.ours_accepts else 'refuses'} ({v.ours_says[:200]})"
                     for v in tally.disagreements)


@pytest.mark.real_tools
def test_lithos_check_and_validate_agree_on_every_edit() -> None:
    lithos_bin = find_lithos_bin()
    if lithos_bin is None:
        pytest.skip("real lithos 0.18.4 is not built here (python -m tools.lab.lithos_build)")
    with tempfile.TemporaryDirectory() as scratch:
        container, files, image = differential.generated_container(Path(scratch))
        sources = [container, *differential.upstream_lithos_containers()]
        tally = differential.lithos_containers(lithos_bin, sources, EDITS)
        assert len(tally.judged) >= EDITS
        assert not tally.disagreements, _explain(tally)
        trees = differential.lithos_trees(lithos_bin, files, image, EDITS)
        assert len(trees.judged) >= EDITS
        assert not trees.disagreements, _explain(trees)


@pytest.mark.real_tools
def test_verwalter_render_and_validate_agree_on_every_template_edit() -> None:
    binary = Path(os.environ["TOOLS_DIR"]) / "verwalter_render"
    if not binary.is_file():
        pytest.skip(f"no verwalter_render in TOOLS_DIR ({binary})")
    tally = differential.verwalter_templates(binary, EDITS)
    assert len(tally.judged) >= EDITS
    assert not tally.disagreements, _explain(tally)


@pytest.mark.real_tools
def test_vagga_and_validate_agree_on_every_edit(tmp_path: Path) -> None:
    binary = Path(os.environ["TOOLS_DIR"]) / "vagga"
    if not binary.is_file():
        pytest.skip(f"no vagga in TOOLS_DIR ({binary})")
    sources = [differential.generated_vagga(tmp_path), *differential.upstream_vagga_files()]
    tally = differential.vagga_files(binary, sources, EDITS)
    assert len(tally.judged) >= EDITS
    assert not tally.disagreements, _explain(tally)
