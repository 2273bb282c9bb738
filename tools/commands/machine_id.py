"""``python -m tools machine-id``: generate, check and fix /etc/machine-id.

Exit codes: 0 all good, 1 a check failed (missing, malformed or shared id),
2 bad input (no such root, unknown backend, unreachable hosts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .. import machine_id
from ..lab.base import LAB_LABEL, Host


def lab_hosts(backend: str, inventory: Path | None) -> dict[str, Host]:
    """The nodes of the lab (docker) or of an SSH inventory, by name.

    Shared by the other operational commands (deploy, images).
    """
    try:
        from ..lab.lab import open_lab
    except ImportError as exc:  # the lab package is optional for an operator
        raise click.UsageError(f"the lab backends are not available: {exc}") from exc
    # A lab of another name (a private verify or test lab) is named by the environment;
    # its workstation host exports it.
    name = os.environ.get("DEPLOYDOCS_LAB_NAME") or LAB_LABEL
    try:
        lab = open_lab(backend, inventory=inventory, start=False, name=name)
    except Exception as exc:
        raise click.UsageError(f"cannot open the {backend} hosts: {exc}") from exc
    return {name: lab.hosts[name] for name in lab.nodes}


def _print_report(report: machine_id.ClusterReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return
    for name, state in sorted(report.states.items()):
        click.echo(f"{name}: {state.id_text or '(no valid id)'}")
    for problem in report.problems:
        click.echo(str(problem))
    click.echo("ok" if report.ok else "FAILED")


def _backend_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--inventory", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
                        help="SSH inventory (TOML) for --backend ssh.")(func)
    return click.option("--backend", type=click.Choice(["docker", "ssh", "qemu"]),
                        default="docker", show_default=True,
                        envvar="DEPLOYDOCS_LAB_BACKEND",
                        help="Where the nodes are (default from $DEPLOYDOCS_LAB_BACKEND).")(func)


@click.group("machine-id")
def cli() -> None:
    """Generate, check and fix /etc/machine-id (exit 0 ok, 1 check failed, 2 bad input)."""


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
    if not root.is_dir():
        raise click.UsageError(f"{root}: no such directory")
    report = machine_id.check_cluster([machine_id.read_root(root, str(root))])
    _print_report(report, as_json)
    raise SystemExit(0 if report.ok else 1)


@cli.command("check-cluster")
@_backend_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_cluster(backend: str, inventory: Path | None, as_json: bool) -> None:
    """Check every node's id and that no two nodes share one."""
    hosts = lab_hosts(backend, inventory)
    try:
        report = machine_id.check_hosts(hosts.values())
    except machine_id.MachineIdError as exc:
        raise click.UsageError(str(exc)) from exc
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
Exit codes: 0 fixed (or, with --dry-run, checked), 2 bad input (no such root,
unreachable hosts).""")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Fix the machine mounted at this root instead of cluster nodes.")
@_backend_options
@click.option("--dry-run", is_flag=True,
              help="Say what would be changed on which node, and why; change nothing.")
def fix(root: Path | None, backend: str, inventory: Path | None, dry_run: bool) -> None:
    """Give missing, malformed or duplicated ids a new one; link the D-Bus copy.

    The first node (in name order) sharing an id keeps it. Restart cantal and
    verwalter on every changed node afterwards: they read the id at start only.
    """
    if root is not None:
        if not root.is_dir():
            raise click.UsageError(f"{root}: no such directory")
        report = machine_id.check_cluster([machine_id.read_root(root, str(root))])
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
            raise click.UsageError(str(exc)) from exc
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
