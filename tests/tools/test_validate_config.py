"""tools.validate_config: the settings file is found, read, and refused with file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import BadInput
from tools.validate_config import Settings, find, load


def test_pyproject_table_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.deploydocs-tools.validate]\nexclude = ["build/"]\nstrict = true\n')
    (tmp_path / "deploy").mkdir()
    settings = find(tmp_path / "deploy")
    assert settings.exclude == ("build/",)
    assert settings.strict is True
    assert settings.source == tmp_path / "pyproject.toml"


def test_own_file_wins_and_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.deploydocs-tools.validate]\nstrict = true\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find(repo) == Settings()
    (repo / ".deploydocs-tools.toml").write_text('[validate]\nignore = ["lithos-secret"]\n')
    assert find(repo).ignore == frozenset({"lithos-secret"})


@pytest.mark.parametrize(("text", "expected"), [
    ('[validate]\nstrict = true\nexclud = ["x"]\n', ":3: validate.exclud: unknown key"),
    ('[validate]\nignore = "x"\n', ":2: validate.ignore: must be a list of strings"),
    ('[validate]\nignore = ["no-such-rule"]\n', ":2: validate.ignore: unknown rule no-such"),
    ("[validate\n", "not valid TOML"),
])
def test_bad_settings_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / ".deploydocs-tools.toml"
    path.write_text(text)
    with pytest.raises(BadInput) as caught:
        load(path)
    assert str(path) in caught.value.message
    assert expected in caught.value.message
