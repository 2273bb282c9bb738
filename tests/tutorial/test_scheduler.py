"""The tutorial's verwalter scheduler, run offline in Lua 5.3 by the schedule preview."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tools.verwalter.schedule import peers_from_hostnames, preview

TREE = Path(__file__).resolve().parents[2] / "tutorial" / "verwalter"
IMAGES = {"v1": "hello-deploy.11111111", "v2": "hello-deploy.22222222"}


def make_tree(tmp_path: Path, rollout: str, releases: tuple[str, ...] = ("v1", "v2")) -> Path:
    """The tutorial's tree plus runtime metadata for *releases* and the *rollout* file."""
    tree = tmp_path / "verwalter"
    shutil.copytree(TREE, tree)
    (tree / "runtime" / "hello").mkdir(parents=True)
    (tree / "runtime" / "rollout").mkdir()
    for version in releases:
        (tree / "runtime" / "hello" / f"{version}.yaml").write_text(
            f"daemons:\n  web:\n    image: {IMAGES[version]}\n"
            "    config: /config/hello.yaml\n    instances: 1\n")
    (tree / "runtime" / "rollout" / "hello.yaml").write_text(rollout)
    return tree


def versions(tree: Path, current: str = "node1", peers: tuple[str, ...] = ("node2", "node3")
             ) -> dict[str, str]:
    result = preview(tree, current_host=current, peers=peers_from_hostnames(peers, 0))
    assert result.ok, (result.error, result.problems)
    return {host: node["roles"]["hello"]["version"]
            for host, node in result.schedule["nodes"].items()}


def test_every_node_runs_the_stable_version(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v1\n")
    assert versions(tree) == {"node1": "v1", "node2": "v1", "node3": "v1"}


def test_leader_schedules_itself_too(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v1\n")
    assert set(versions(tree, current="node3", peers=("node1", "node2"))) == {
        "node1", "node2", "node3"}


@pytest.mark.parametrize(("upgraded", "expected"), [
    (0, ["v1", "v1", "v1"]),
    (1, ["v2", "v1", "v1"]),
    (2, ["v2", "v2", "v1"]),
    (3, ["v2", "v2", "v2"]),
])
def test_candidate_goes_to_the_first_nodes_in_name_order(
    tmp_path: Path, upgraded: int, expected: list[str]
) -> None:
    tree = make_tree(tmp_path, f"stable: v1\ncandidate: v2\nupgraded: {upgraded}\n")
    # The answer must not depend on which node is the leader.
    for current, peers in [("node1", ("node2", "node3")), ("node3", ("node2", "node1"))]:
        got = versions(tree, current, peers)
        assert [got[h] for h in ("node1", "node2", "node3")] == expected


def test_daemon_names_the_release_image_and_config(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v1\ncandidate: v2\nupgraded: 1\n")
    result = preview(tree, current_host="node1", peers=peers_from_hostnames(["node2"], 0))
    node1 = result.schedule["nodes"]["node1"]["roles"]["hello"]
    assert node1["daemons"] == {"web": {"image": IMAGES["v2"], "config": "/config/hello.yaml",
                                        "instances": 1}}
    assert result.schedule["roles"]["hello"]["template"] == "hello/v1"


def test_missing_release_leaves_an_empty_daemon_set(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v3\n", releases=("v1",))
    result = preview(tree, current_host="node1", peers=peers_from_hostnames(["node2"], 0))
    assert result.ok
    roles = result.schedule["nodes"]["node2"]["roles"]["hello"]
    assert roles == {"daemons": {}, "version": "v3"}
    assert "node2: no release for version v3" in result.log


def test_losing_a_peer_changes_nothing_for_the_others(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v1\ncandidate: v2\nupgraded: 2\n")
    three = versions(tree)
    two = versions(tree, peers=("node2",))
    assert two == {h: three[h] for h in ("node1", "node2")}


def test_schedule_text_is_deterministic(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "stable: v1\n")
    first = preview(tree, current_host="node1", peers=peers_from_hostnames(["node2"], 0))
    second = preview(tree, current_host="node1", peers=peers_from_hostnames(["node2"], 0),
                     now_ms=123_456_789)
    assert json.dumps(first.schedule) == json.dumps(second.schedule)
    assert not [p for p in first.problems if "determin" in p.message.lower()]


def test_template_renders_a_lithos_process_config(tmp_path: Path) -> None:
    from tools.verwalter.render import render_template

    template = TREE / "templates" / "hello" / "v1" / "lithos.yaml.hbs"
    text = render_template(template, {"daemons": {"web": {
        "image": IMAGES["v1"], "config": "/config/hello.yaml", "instances": 1}}})
    assert text.strip() == (
        "web:\n  image: hello-deploy.11111111\n  config: /config/hello.yaml\n  instances: 1")


def test_runtime_written_by_deploy_publish_feeds_the_scheduler(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tools.cli import main

    root = tmp_path / "node"
    shutil.copytree(TREE, root / "etc" / "verwalter")
    (root / "etc" / "verwalter" / "runtime" / "rollout").mkdir(parents=True)
    (root / "etc" / "verwalter" / "runtime" / "rollout" / "hello.yaml").write_text("stable: v1\n")
    published = CliRunner().invoke(main, [
        "deploy", "publish", "hello", "v1", "--image", IMAGES["v1"],
        "--config", "/config/hello.yaml", "--local-root", str(root)])
    assert published.exit_code == 0, published.output
    result = preview(root / "etc" / "verwalter", current_host="node1",
                     peers=peers_from_hostnames(["node2"], 0))
    assert result.ok, (result.error, result.problems)
    assert result.schedule["nodes"]["node2"]["roles"]["hello"]["daemons"] == {
        "web": {"image": IMAGES["v1"], "config": "/config/hello.yaml", "instances": 1}}
