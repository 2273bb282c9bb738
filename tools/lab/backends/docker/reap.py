"""Find and remove lab resources: after ``down``, a failure, Ctrl-C, or a killed run.

A resource belongs to the lab when it carries the Docker label
``deploydocs.lab``; the label's value is the lab's name. A *leftover* is a
labelled resource that the record of its lab's last complete ``lab up``
does not list, while no live process holds that lab's ``up`` lock.
"""

from __future__ import annotations

import contextlib
import os
import time

import docker
import docker.errors

from ....fs import pid_alive
from ... import state
from ...base import LAB_LABEL


def _filters(labels: dict[str, str]) -> dict[str, list[str]]:
    return {"label": [f"{key}={value}" for key, value in labels.items()]}


def labelled(client: docker.DockerClient, labels: dict[str, str] | None = None
             ) -> dict[str, list[tuple[str, str, str]]]:
    """Labelled containers, networks and volumes: kind → ``[(id, name, lab name)]``."""
    filters = _filters(labels) if labels else {"label": [LAB_LABEL]}
    found: dict[str, list[tuple[str, str, str]]] = {}
    # The low-level list answers in one call: the high-level one inspects each container
    # afterwards and fails on one removed meanwhile (an `up` cleaning up, a route helper).
    found["container"] = [
        (c["Id"], (c.get("Names") or ["/?"])[0].lstrip("/"), (c.get("Labels") or {}).get(
            LAB_LABEL, ""))
        for c in client.api.containers(all=True, filters=filters)
    ]
    found["network"] = [
        (n.id, n.name, (n.attrs.get("Labels") or {}).get(LAB_LABEL, ""))
        for n in client.networks.list(filters=filters)
    ]
    found["volume"] = [
        (v.id, v.name, (v.attrs.get("Labels") or {}).get(LAB_LABEL, ""))
        for v in client.volumes.list(filters=filters)
    ]
    return found


def remove_labelled(client: docker.DockerClient, labels: dict[str, str],
                    keep_ids: set[str] | None = None) -> list[str]:
    """Remove containers, then networks, then volumes with all of *labels*; return their names.

    Resources whose id is in *keep_ids* stay.
    """
    keep = keep_ids or set()
    removed: list[str] = []
    found = labelled(client, labels)
    for cid, name, _lab in found["container"]:
        if cid in keep:
            continue
        _remove_container(client, cid)
        removed.append(f"container {name}")
    for nid, name, _lab in found["network"]:
        if nid in keep:
            continue
        with contextlib.suppress(docker.errors.NotFound):
            network = client.networks.get(nid)
            network.reload()
            for container in network.containers:
                if container.id not in keep:
                    with contextlib.suppress(docker.errors.APIError):
                        network.disconnect(container, force=True)
            network.remove()
        removed.append(f"network {name}")
    for vid, name, _lab in found["volume"]:
        if vid in keep:
            continue
        with contextlib.suppress(docker.errors.NotFound):
            client.volumes.get(vid).remove(force=True)
        removed.append(f"volume {name}")
    return removed


def _remove_container(client: docker.DockerClient, cid: str, deadline: float = 60.0) -> None:
    """Remove a container; if another process is already removing it, wait until it is gone."""
    try:
        client.api.remove_container(cid, force=True, v=True)
        return
    except docker.errors.NotFound:
        return
    except docker.errors.APIError as error:
        if error.status_code != 409 or "already in progress" not in str(error):
            raise
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            client.api.inspect_container(cid)
        except docker.errors.NotFound:
            return
        time.sleep(0.2)  # polling another process's removal, with a deadline
    raise TimeoutError(f"container {cid[:12]} was still being removed after {deadline:.0f} s")


def recorded_ids(lab_name: str) -> set[str]:
    """Ids of the resources listed by lab *lab_name*'s last complete ``lab up``."""
    record = state.read_record(lab_name)
    ids: set[str] = set()
    network = record.get("network")
    if isinstance(network, dict) and network.get("id"):
        ids.add(str(network["id"]))
    nodes = record.get("nodes")
    if isinstance(nodes, dict):
        ids.update(str(node["id"]) for node in nodes.values() if node.get("id"))
    mirror = record.get("mirror")
    if isinstance(mirror, dict) and mirror.get("id"):
        ids.add(str(mirror["id"]))
    return ids


def reap_lab(client: docker.DockerClient, lab_name: str) -> list[str]:
    """Remove the leftovers of lab *lab_name* (unless a live ``lab up`` of it is running).

    A per-process test lab (``deploydocs.lab-t<pid>``) whose process is gone is a leftover
    as a whole, even when it was complete: its workstation's scratch directory goes too.
    """
    from ...workstation import remove_scratch

    holder = state.lock_holder(lab_name)
    if holder is not None and holder != _own_pid():
        return []
    owner = state.owner_of_test_lab(lab_name)
    if owner is not None and not pid_alive(owner):
        removed = remove_labelled(client, {LAB_LABEL: lab_name})
        state.forget_lab(lab_name)
        return removed + remove_scratch(lab_name)
    return remove_labelled(client, {LAB_LABEL: lab_name}, keep_ids=recorded_ids(lab_name))


def reap(client: docker.DockerClient, *, everything: bool = False) -> list[str]:
    """Remove the leftovers of every lab; with *everything*, every labelled resource."""
    lab_names = {lab for items in labelled(client).values() for _id, _name, lab in items}
    removed: list[str] = []
    for lab_name in sorted(lab_names):
        try:
            state.validate_lab_name(lab_name)
        except ValueError:
            removed += remove_labelled(client, {LAB_LABEL: lab_name}) if everything else []
            continue
        if everything:
            if state.lock_holder(lab_name) not in (None, _own_pid()):
                continue
            removed += remove_labelled(client, {LAB_LABEL: lab_name})
            state.forget_lab(lab_name)
        else:
            removed += reap_lab(client, lab_name)
    return removed


def _own_pid() -> int:
    return os.getpid()
