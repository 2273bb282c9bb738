"""The docker backend: nodes (three unless told otherwise) as containers on an internal network.

Every resource carries the label ``deploydocs.lab=<lab name>`` and a name
starting with the lab name (default ``deploydocs.lab``): the network
``<lab>-net`` and the containers ``<lab>-node1`` … ``<lab>-node3`` (``-nodeN`` for a lab
of N nodes; ``lab up --nodes N``). Each
resource also carries ``deploydocs.lab.run=<id of the lab up that made it>``,
so an interrupted ``lab up`` removes exactly what it made.

Network: a bridge created with ``--internal`` and without an address on the
host side (``com.docker.network.bridge.inhibit_ipv4``), and each node's
default route is deleted (from a short-lived helper container sharing the
node's network namespace, so the node itself never gets ``NET_ADMIN``). A
node reaches the other nodes by name (Docker's embedded DNS; aliases
``node1``…) and nothing else: not the host, not the internet.

Machines: every node boots the bare image of :mod:`tools.lab.backends.docker.image` with systemd
as PID 1 (as kind's and molecule's systemd containers do), so the tutorial's
``systemctl`` lines are the ones a reader types on a VM. Like a provider, the lab
puts the client's ssh key in root's ``authorized_keys`` and leaves everything else
to the pages: the machine makes its own host keys and machine id when it first boots.
Beside the nodes runs the lab's package mirror (``<lab>-mirror``, alias ``mirror``:
:mod:`tools.lab.backends.docker.mirror`), which stands in for Debian's archive and PyPI.

Privilege: lithos needs to create namespaces, mount, pivot_root and write
cgroups, and systemd as init needs to manage cgroups too. The nodes get
``CAP_SYS_ADMIN``, no seccomp filter (``unshare`` and ``mount`` flags lithos uses
are filtered by Docker's default profile), AppArmor unconfined, and a private
cgroup namespace whose cgroup v1 hierarchies the node's boot script remounts
writable before it starts systemd. The nodes also get ``CAP_SYS_PTRACE``, for real
cantal-agent (0.6.10): it learns which processes run by reading every process's
``/proc/PID/io`` (and, for the processes in lithos containers, ``/proc/PID/stat``
and ``/proc/PID/environ``, where it finds their ``CANTAL_PATH``). The kernel
guards those files with a ptrace access check; in a container, root without
``CAP_SYS_PTRACE`` fails it for processes of other users, so the app's metrics
would never reach cantal. And they get ``CAP_NET_ADMIN`` in their own network
namespace, for the firewall rule the lost-node chapter has the reader type
(``nft``) to cut a node off; the network is internal, with no address on the host
side, so no rule or route a node sets reaches beyond it. They are *not*
privileged: no host devices, the other default capabilities only. A node whose
container was made with other capabilities is made afresh by the next ``lab up``.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container

from ....fs import write_atomically
from ....hosts import CommandResult, HostInfo, atomic_write_script
from ....probe import probe_info, probe_script
from ... import state
from ...base import LAB_LABEL, DockerUnreachable, LabError
from ...fault_actions import USAGE, FaultAction
from ...record import DockerRecord, NodeEntry
from .image import STOP_SIGNAL, NodeImage, ensure_node_image
from .mirror import ensure_mirror_files, start_mirror

DEFAULT_NODE_COUNT = 3
MAX_NODE_COUNT = 32


def node_names(count: int = DEFAULT_NODE_COUNT) -> tuple[str, ...]:
    """The node names of a lab of *count* nodes.

    >>> node_names(4)
    ('node1', 'node2', 'node3', 'node4')
    """
    if not 1 <= count <= MAX_NODE_COUNT:
        raise ValueError(f"a lab has 1 to {MAX_NODE_COUNT} nodes, not {count}")
    return tuple(f"node{index}" for index in range(1, count + 1))


NODE_NAMES = node_names()
"""The nodes of the default lab, which the tutorial uses."""
RUN_LABEL = f"{LAB_LABEL}.run"
NODE_LABEL = f"{LAB_LABEL}.node"
NODE_SECURITY = {
    "cap_add": ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
    "cgroupns": "private",
}
"""The least privilege under which real lithos runs on a node (see the module docstring)."""
READY_DEADLINE = 60.0

Progress = Callable[[str], None]


def connect() -> docker.DockerClient:
    """A Docker client from the environment, with a clear error when there is no daemon."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as err:
        raise DockerUnreachable(f"cannot reach the Docker daemon: {err}") from err
    return client


class DockerHost:
    """One node: a container of the lab, driven through the Docker API and ``docker exec``."""

    def __init__(self, client: docker.DockerClient, lab_name: str, name: str) -> None:
        self.client = client
        self.lab_name = lab_name
        self.name = name
        self.container_name = f"{lab_name}-{name}"

    def _container(self) -> Container:
        return self.client.containers.get(self.container_name)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run *command* with ``bash -c`` in the node (one ``docker exec``)."""
        argv = ["bash", "-c", command]
        if timeout is not None:
            argv = ["timeout", "-k", "5", f"{timeout:g}", *argv]
        started = time.monotonic()
        try:
            code, (out, err) = self._container().exec_run(argv, demux=True)
        except docker.errors.APIError as error:
            return CommandResult(command, 255, "", f"docker exec failed: {error}\n",
                                 time.monotonic() - started)
        timed_out = timeout is not None and code == 124
        return CommandResult(
            command, code if code is not None else 255,
            (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"),
            time.monotonic() - started, timed_out,
        )

    def read(self, command: str, complete: Callable[[str], bool], deadline: float = 30.0,
             timeout: float = 60) -> CommandResult:
        """Run *command* for its output, again while it succeeds with output that is not
        *complete*, until *deadline* seconds have passed.

        Docker can lose what a short ``docker exec`` printed (moby/moby#27289, docker-py
        #2042): the command succeeds and the output comes back empty, more often on a busy
        machine. Returns the last result (complete, failed, or incomplete at the deadline).
        """
        end = time.monotonic() + deadline
        while True:
            result = self.run(command, timeout=timeout)
            if not result.ok or complete(result.stdout) or time.monotonic() > end:
                return result
            time.sleep(0.2)

    def shell_argv(self) -> list[str]:
        """``docker exec -i`` of a bash that leads its own process group on the node."""
        return ["docker", "exec", "-i", self.container_name,
                "setsid", "-w", "bash", "--noprofile", "--norc"]

    def login_argv(self) -> list[str]:
        """An interactive login shell on the node, on this terminal."""
        return ["docker", "exec", "-it", self.container_name, "bash", "-l"]

    def rsync_target(self, path: str) -> tuple[str, str]:
        """``(rsh, destination)`` for rsync: the remote rsync runs through ``docker exec -i``."""
        return "docker exec -i", f"{self.container_name}:{path}"

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* to *path* on the node: a temp file in the same directory, then rename.

        The data goes through ``docker exec -i`` (not the archive API, which cannot write
        into the tmpfs mounts a node has at /run and /tmp).
        """
        script = atomic_write_script(path, owner, mode)
        proc = subprocess.run(
            ["docker", "exec", "-i", self.container_name, "bash", "-c", script],
            input=data, capture_output=True,
        )
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise LabError(f"{self.name}: writing {path} failed: {message}")

    def address(self) -> str:
        """The node's IPv4 address on the lab network ('' when disconnected or stopped)."""
        networks = self._container().attrs["NetworkSettings"]["Networks"]
        net = networks.get(network_name(self.lab_name))
        return (net or {}).get("IPAddress", "") or ""

    def info(self) -> HostInfo:
        """Address, machine id, OS and real tools of the node."""
        probed = self.read(probe_script(), lambda out: "machine-id=" in out)
        return probe_info(self.name, self.address(), probed.stdout)


def _capabilities(container: Container | None) -> set[str]:
    """The capabilities added to *container* (None: the ones :data:`NODE_SECURITY` adds),
    without the ``CAP_`` prefix Docker may or may not keep."""
    added = (NODE_SECURITY["cap_add"] if container is None
             else container.attrs["HostConfig"].get("CapAdd") or [])
    return {str(cap).upper().removeprefix("CAP_") for cap in added}


def network_name(lab_name: str) -> str:
    """The name of lab *lab_name*'s internal network."""
    return f"{lab_name}-net"


def _tar(entries: Iterable[tuple[str, bytes | str | None, int]]) -> bytes:
    """A tar archive of ``(path, content, mode)``: bytes = file, str = symlink, None = dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, content, mode in entries:
            info = tarfile.TarInfo(path)
            info.mode = mode
            info.mtime = int(time.time())
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif isinstance(content, str):
                info.type = tarfile.SYMTYPE
                info.linkname = content
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class DockerLab:
    """Bring up, inspect, fault and remove one docker lab (by name): the ``docker`` backend."""

    kind = "docker"
    inventory: Path | None = None

    def __init__(self, name: str = LAB_LABEL, client: docker.DockerClient | None = None,
                 nodes: int | None = None) -> None:
        """*nodes*: how many nodes ``up`` makes; by default as many as the lab already has
        (from its record), else three."""
        self.name = state.validate_lab_name(name)
        self.client = client or connect()
        self.run_id = uuid.uuid4().hex[:12]
        if nodes is None:
            recorded = state.read_record(self.name).get("nodes") or {}
            nodes = len(recorded) or DEFAULT_NODE_COUNT
        self.node_names = node_names(nodes)

    # -- names and labels -------------------------------------------------------------------

    def labels(self, **extra: str) -> dict[str, str]:
        """The labels of a resource this run makes."""
        return {LAB_LABEL: self.name, RUN_LABEL: self.run_id, **extra}

    def hosts(self) -> dict[str, DockerHost]:
        """The node hosts, by name."""
        return {node: DockerHost(self.client, self.name, node) for node in self.node_names}

    # -- up ---------------------------------------------------------------------------------

    def up(self, *, tools_dir: Path | None = None, with_lithos: bool = True,
           progress: Progress = print) -> DockerRecord:
        """Make the lab exist and run (idempotent); return its record.

        Anything this call creates is removed again if it fails or is interrupted
        (Ctrl-C, SIGTERM); leftovers of a run killed with SIGKILL are removed first.
        """
        from .reap import reap_lab

        tools = state.tools_dir_entry(tools_dir)
        with state.up_lock(self.name):
            try:
                removed = reap_lab(self.client, self.name)
                if removed:
                    progress(f"removed leftovers of an interrupted run: {', '.join(removed)}")
                image = ensure_node_image(self.client, progress=progress)
                network = self._ensure_network()
                mirror = self._ensure_mirror(image, network, progress)
                record = self._ensure_nodes(image, network, progress)
                record["mirror"] = mirror
                record["tools_dir"] = tools
            except BaseException:
                self._remove_this_run()
                raise
            state.write_record(self.name, record)
        return record

    def _ensure_network(self) -> docker.models.networks.Network:
        name = network_name(self.name)
        for network in self.client.networks.list(names=[name]):
            if network.name == name and network.attrs.get("Internal"):
                return network
            raise LabError(f"network {name} exists but is not internal; run `lab down` first")
        return self.client.networks.create(
            name, driver="bridge", internal=True, labels=self.labels(),
            options={"com.docker.network.bridge.inhibit_ipv4": "true"},
        )

    def _ensure_mirror(self, image: NodeImage, network: docker.models.networks.Network,
                       progress: Progress) -> dict[str, str]:
        """Fill (once) and start the lab's package mirror on its network; its record entry."""
        root = ensure_mirror_files(progress=progress, machines=image.image_id)
        name = start_mirror(self.client, lab_name=self.name, network=network.name,
                            image=image.image_id, root=root,
                            labels=self.labels(**{NODE_LABEL: "mirror"}))
        container = self.client.containers.get(name)
        return {"id": str(container.id), "container": name, "root": str(root)}

    def _ensure_nodes(self, image: NodeImage, network: docker.models.networks.Network,
                      progress: Progress) -> DockerRecord:
        key = state.client_key(self.name)
        public_key = key.with_suffix(".pub").read_bytes()
        previous = state.read_record(self.name)
        previous_nodes = previous.get("nodes", {})
        self._remove_surplus_nodes(progress)
        progress(f"starting {', '.join(self.node_names)}")
        with ThreadPoolExecutor(max_workers=len(self.node_names)) as pool:
            futures = {
                node: pool.submit(self._ensure_node, node, image, network, public_key,
                                  previous_nodes.get(node, {}))
                for node in self.node_names
            }
            try:
                nodes = {node: future.result() for node, future in futures.items()}
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        self._write_known_hosts()
        return {
            "name": self.name,
            "backend": "docker",
            "network": {"name": network.name, "id": network.id},
            "image": {"tag": image.tag, "id": image.image_id, "base": image.base_tag},
            "lithos": image.lithos,
            "extra_tools": image.extra_tools,
            "nodes": nodes,
            "security": NODE_SECURITY,
        }

    def _ensure_node(self, node: str, image: NodeImage, network: docker.models.networks.Network,
                     public_key: bytes, previous: NodeEntry) -> NodeEntry:
        name = f"{self.name}-{node}"
        container = None
        with contextlib.suppress(docker.errors.NotFound):
            container = self.client.containers.get(name)
        if container is not None and (
            container.attrs["Image"] != image.image_id or container.id != previous.get("id")
            or _capabilities(container) != _capabilities(None)
        ):
            container.remove(force=True)
            container = None
        if container is None:
            container = self._create_node(node, image, network, public_key)
        if container.status != "running":
            container.start()
        self.wait_ready(node)
        self.drop_default_route(node)
        return {"id": container.id, "container": name}

    def _remove_surplus_nodes(self, progress: Progress) -> None:
        """Remove node containers of this lab beyond its node count (after a bigger ``up``)."""
        surplus = [
            container for container in self.client.containers.list(
                all=True, filters={"label": f"{LAB_LABEL}={self.name}"})
            if container.labels.get(NODE_LABEL, "").startswith("node")
            and "-" not in container.labels.get(NODE_LABEL, "")
            and container.labels[NODE_LABEL] not in self.node_names
        ]
        for container in surplus:
            progress(f"removing {container.name} (the lab now has {len(self.node_names)} nodes)")
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)

    def _create_node(self, node: str, image: NodeImage, network: docker.models.networks.Network,
                     public_key: bytes) -> Container:
        api = self.client.api
        host_config = api.create_host_config(
            network_mode=network.name,
            # /run and /run/lock are tmpfs as on any systemd machine; /tmp stays on the
            # machine's disk, as on Debian 12 (a docker tmpfs would be mounted noexec).
            tmpfs={"/run": "mode=755", "/run/lock": "mode=1777"},
            **NODE_SECURITY,
        )
        networking = api.create_networking_config(
            {network.name: api.create_endpoint_config(aliases=[node])}
        )
        created = api.create_container(
            image.image_id, name=f"{self.name}-{node}", hostname=node, stop_signal=STOP_SIGNAL,
            labels=self.labels(**{NODE_LABEL: node}), host_config=host_config,
            networking_config=networking, detach=True,
        )
        container = self.client.containers.get(created["Id"])
        # What a provider does: the client's key in root's authorized_keys, nothing else.
        files = _tar([
            ("root/.ssh", None, 0o700),
            ("root/.ssh/authorized_keys", public_key, 0o600),
        ])
        if not container.put_archive("/", files):
            raise LabError(f"{node}: writing the ssh key into the container failed")
        return container

    def wait_ready(self, node: str, deadline: float = READY_DEADLINE) -> None:
        """Wait until the node runs commands and its sshd accepts connections."""
        host = DockerHost(self.client, self.name, node)
        end = time.monotonic() + deadline
        last = ""
        while time.monotonic() < end:
            result = host.run("exec 3<>/dev/tcp/127.0.0.1/22", timeout=5)
            if result.ok:
                return
            last = result.stderr.strip()
            time.sleep(0.2)
        raise LabError(f"{node} did not become ready within {deadline:g} s: {last}")

    def drop_default_route(self, node: str) -> None:
        """Delete the node's default route from a helper sharing its network namespace."""
        container = self.client.containers.get(f"{self.name}-{node}")
        api = self.client.api
        host_config = api.create_host_config(
            network_mode=f"container:{container.id}", cap_add=["NET_ADMIN"],
        )
        drop = "ip route del default 2>/dev/null; ! ip route | grep -q ^default"
        helper = api.create_container(
            container.attrs["Image"],
            command=["bash", "-c", drop],
            name=f"{self.name}-{node}-route-{uuid.uuid4().hex[:6]}",
            labels=self.labels(**{NODE_LABEL: f"{node}-route-helper"}),
            host_config=host_config,
        )
        try:
            api.start(helper["Id"])
            status = api.wait(helper["Id"], timeout=60)["StatusCode"]
        finally:
            with contextlib.suppress(docker.errors.APIError):
                api.remove_container(helper["Id"], force=True)
        if status != 0:
            raise LabError(f"{node}: could not remove the default route")

    def _write_known_hosts(self) -> None:
        """Record each node's host key, by name and address, for strict ssh checking."""
        def has_key(out: str) -> bool:
            return len(out.split()) >= 2  # "<type> <key> [comment]"

        lines = []
        for node, host in self.hosts().items():
            result = host.read("cat /etc/ssh/ssh_host_ed25519_key.pub", has_key)
            if not result.ok or not has_key(result.stdout):
                raise LabError(f"{node}: no ssh host key: "
                               f"{result.stderr.strip() or repr(result.stdout)}")
            key_type, key = result.stdout.split()[:2]
            lines.append(f"{node},{host.address()} {key_type} {key}")
        path = state.lab_dir(self.name) / "known_hosts"
        write_atomically(path, ("\n".join(lines) + "\n").encode())

    def _remove_this_run(self) -> None:
        """Remove every resource made by this run (after a failure or an interrupt)."""
        from .reap import remove_labelled

        remove_labelled(self.client, {RUN_LABEL: self.run_id})

    # -- down -------------------------------------------------------------------------------

    def down(self) -> list[str]:
        """Remove every container, network and volume of this lab, its state and its
        workstation's scratch directory; keep the image cache. Return what went.

        A qemu lab of the same name shares the state directory (its VMs' files, the
        client key) and the scratch directory: while it has a record, both stay, and
        only this lab's record goes.
        """
        from ...workstation import remove_scratch
        from .reap import remove_labelled

        removed = remove_labelled(self.client, {LAB_LABEL: self.name})
        if (state.state_root() / self.name / "qemu" / "qemu.json").exists():
            state.forget_record(self.name)
            return removed
        state.forget_lab(self.name)
        return removed + remove_scratch(self.name)

    # -- faults -----------------------------------------------------------------------------

    def fault(self, node: str, action: str) -> None:
        """Break *node*: ``stop`` or ``isolate`` (idempotent; ``kill:`` is the lab's own)."""
        container = self._node_container(node)
        if action == FaultAction.STOP:
            container.stop(timeout=5)
        elif action == FaultAction.ISOLATE:
            with contextlib.suppress(docker.errors.APIError):
                self.client.networks.get(network_name(self.name)).disconnect(container, force=True)
        else:
            raise ValueError(f"unknown fault {action!r}: use {USAGE}")

    def heal(self, node: str, action: str) -> None:
        """Undo :meth:`fault` (idempotent); wait until the node answers again."""
        container = self._node_container(node)
        if action == FaultAction.STOP:
            if container.status != "running":
                container.start()
                self.wait_ready(node)
                self.drop_default_route(node)
        elif action == FaultAction.ISOLATE:
            container.reload()
            networks = container.attrs["NetworkSettings"]["Networks"]
            if network_name(self.name) not in networks:
                self.client.networks.get(network_name(self.name)).connect(
                    container, aliases=[node])
                self.drop_default_route(node)
            self.wait_ready(node)
        else:
            raise ValueError(f"unknown fault {action!r}: use {USAGE}")

    # -- inspection -------------------------------------------------------------------------

    def is_up(self) -> bool:
        """Whether the lab is there: its record lists its nodes, and its network and at
        least one of its node containers exist.

        A node that is stopped (the ``stop`` fault, ``lab stop``) leaves the lab up: its
        other nodes still work, and ``lab start`` powers it on again.
        """
        record = state.read_record(self.name)
        nodes = record.get("nodes") or {}
        if set(nodes) != set(self.node_names):
            return False
        name = network_name(self.name)
        if not any(net.name == name for net in self.client.networks.list(names=[name])):
            return False
        return any(self._find_container(node) is not None for node in self.node_names)

    def check_up(self) -> None:
        """Raise :class:`tools.lab.base.LabError` saying how to bring the lab up, unless
        it is up."""
        if not self.is_up():
            raise LabError(f"lab {self.name!r} is not up: run `python -m tools lab up`")

    def recorded_tools_dir(self) -> Path | None:
        """The ``--tools-dir`` of the lab's last complete ``up``."""
        return state.recorded_tools_dir(state.read_record(self.name))

    def fingerprint(self) -> dict[str, object]:
        """The node image and the lithos build of the last ``up`` (for verification records)."""
        record = state.read_record(self.name)
        return {"images": record.get("image", {}), "lithos": record.get("lithos", {})}

    def status_lines(self) -> list[str]:
        """Lines for ``lab status``: lithos when absent, the ``--tools-dir`` executables."""
        record = state.read_record(self.name)
        lithos = record.get("lithos") or {}
        lines = [f"lithos: absent on every node: {lithos['absent']}"] if "absent" in lithos else []
        mirror = record.get("mirror") or {}
        if mirror:
            lines.append(f"package mirror: {mirror.get('container')} (alias mirror), "
                         "standing in for Debian's archive and PyPI")
        tools_dir = record.get("tools_dir")
        return [*lines, f"--tools-dir (on the workstation's PATH): {tools_dir or 'none given'}"]

    def node_running(self, node: str) -> bool:
        """Whether *node*'s container exists and runs."""
        container = self._find_container(node)
        return container is not None and container.status == "running"

    def _find_container(self, node: str) -> Container | None:
        try:
            return self.client.containers.get(f"{self.name}-{node}")
        except docker.errors.NotFound:
            return None

    def _node_container(self, node: str) -> Container:
        """*node*'s container, or a :class:`LabError` saying how to make it again."""
        if node not in self.node_names:
            raise LabError(f"lab {self.name!r} has no node {node!r} "
                           f"(nodes: {', '.join(self.node_names)})")
        container = self._find_container(node)
        if container is None:
            raise LabError(f"{node}: its container {self.name}-{node} does not exist: "
                           "run `python -m tools lab up` to make it again")
        return container
