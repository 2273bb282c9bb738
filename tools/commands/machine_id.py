"""``python -m tools machine-id``: generate, check and fix /etc/machine-id.

A check fails (exit 1) on a missing, malformed or shared id; the other exit codes are
those of every command (:mod:`tools.errors`): 2 for no such root or no target, 3 for
nodes that do not answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import machine_id
from ..errors import BadInput, CheckFailed
from .nodes import lab_hosts, target_options


def _print_report(report: machine_id.ClusterReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return
    for name, state in sorted(report.states.items()):
        click.echo(f"{name}: {state.id_text or '(no valid id)'}")
    for problem in report.problems:
        click.echo(str(problem))
    click.echo("ok" if report.ok else "FAILED")


@click.group("machine-id")
def cli() -> None:
    """Generate, check and fix /etc/machine-id."""


@cli.command("generate")
def generate() -> None:
    """Print a new random machine id (32 lowercase hex digits, as systemd makes them)."""
    click.echo(machine_id.generate_machine_id())


@cli.command("check")
@click.option("--root", type=click.Path(path_type=Path), default=Path("/"), show_default=True,
              help="The machine's filesystem root (a mounted image, a container root...).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(root: Path, as_json: bool) -> None:
    """Check this machine's id: present, well-formed, D-Bus copy linked or identical."""
    report = machine_id.check_cluster([machine_id.read_root(_root_dir(root), str(root))])
    _print_report(report, as_json)
    raise SystemExit(0 if report.ok else 1)


def _root_dir(root: Path) -> Path:
    """*root*, which must be a directory (else bad input, exit 2)."""
    if not root.is_dir():
        raise BadInput(f"{root}: no such directory")
    return root


@cli.command("check-cluster")
@target_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_cluster(backend: str | None, inventory: Path | None, as_json: bool) -> None:
    """Check every node's id and that no two nodes share one."""
    hosts = lab_hosts(backend, inventory)
    try:
        report = machine_id.check_hosts(hosts.values())
    except machine_id.MachineIdError as exc:
        raise CheckFailed(str(exc)) from exc
    _print_report(report, as_json)
    raise SystemExit(0 if report.ok else 1)


def _reasons(report: machine_id.ClusterReport, name: str, steps: list[str]) -> list[str]:
    """Each step of *name*'s fix with why it is needed, for ``fix --dry-run``."""
    state = report.states[name]
    said = []
    for step in steps:
        if step == "new-id":
            shared = [names for names in report.duplicates.values() if name in names]
            if state.machine_id is None:
                why = "/etc/machine-id is missing"
            elif state.id_text is None:
                why = "/etc/machine-id is malformed"
            elif shared:
                why = f"{state.id_text} is also the id of {shared[0][0]}, which keeps it"
            else:
                why = "/etc/machine-id is all zeros"
            said.append(f"new-id ({why})")
        elif step == "link-dbus":
            if state.dbus_link is not None:
                why = f"/var/lib/dbus/machine-id links to {state.dbus_link}"
            elif state.dbus_id is None:
                why = "/var/lib/dbus/machine-id is missing"
            else:
                why = "/var/lib/dbus/machine-id is a separate file"
            said.append(f"link-dbus ({why}; it becomes a link to /etc/machine-id)")
        else:  # pragma: no cover - plan_fixes makes only these two steps
            said.append(step)
    return said


@cli.command("fix", epilog="""\b
Steps: new-id (write a new random /etc/machine-id by rename), link-dbus (make
/var/lib/dbus/machine-id a symlink to /etc/machine-id).
Exit code 0: fixed (or, with --dry-run, checked); 1: a node could not be fixed.""")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Fix the machine mounted at this root instead of cluster nodes.")
@target_options
@click.option("--dry-run", is_flag=True,
              help="Say what would be changed on which node, and why; change nothing.")
def fix(root: Path | None, backend: str | None, inventory: Path | None, dry_run: bool) -> None:
    """Give missing, malformed or duplicated ids a new one; link the D-Bus copy.

    The first node (in name order) sharing an id keeps it. Restart cantal and
    verwalter on every changed node afterwards: they read the id at start only.
    """
    if root is not None:
        report = machine_id.check_cluster([machine_id.read_root(_root_dir(root), str(root))])
        plan = machine_id.plan_fixes(report)
        if not dry_run:
            for steps in plan.values():
                machine_id.fix_root(root, steps)
    else:
        hosts = lab_hosts(backend, inventory)
        try:
            if dry_run:
                report = machine_id.check_hosts(hosts.values())
                plan = machine_id.plan_fixes(report)
            else:
                plan = machine_id.fix_hosts(hosts)
        except machine_id.MachineIdError as exc:
            raise CheckFailed(str(exc)) from exc
    if dry_run:
        for name, steps in sorted(plan.items()):
            click.echo(f"{name}: would {', '.join(_reasons(report, name, steps))}")
        click.echo(f"dry run: {len(plan)} node(s) would change; nothing changed"
                   if plan else "nothing to fix")
        return
    for name, steps in sorted(plan.items()):
        click.echo(f"{name}: {', '.join(steps)}")
    if not plan:
        click.echo("nothing to fix")
