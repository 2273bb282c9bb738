"""Generate the lithos configs of the tutorial's Django app from a few parameters.

Four files, laid out the way lithos reads them (``master.yaml``,
``sandboxes/<sandbox>.yaml``, ``processes/<sandbox>.yaml``) plus the
container config that goes *inside* the image (``config/web.yaml``, copied
to ``/config/web.yaml`` by the vagga deploy container).

The app is served by gunicorn on a socket lithos opens: the container
config asks for ``tcp-ports: {8000: {fd: 3}}`` and tells gunicorn the fd
with ``GUNICORN_FD: "3"``; the sandbox allows exactly that port.

>>> files = generate_files(DjangoParams(image="django-deploy.0123abcd"))
>>> sorted(files)
['config/web.yaml', 'master.yaml', 'processes/django.yaml', 'sandboxes/django.yaml']
>>> print(files["processes/django.yaml"], end="")
web:
  image: django-deploy.0123abcd
  config: /config/web.yaml
  instances: 1
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.scalarint import OctalInt

from tools.quire import Tagged, dump

#: Where the tutorial keeps the images of the ``django`` sandbox on every node.
DEFAULT_IMAGE_DIR = "/var/lib/lithos/images/django"


@dataclass(frozen=True)
class DjangoParams:
    """The few choices behind the generated configs."""

    sandbox: str = "django"
    image: str = "django-deploy.current"
    image_dir: str = DEFAULT_IMAGE_DIR
    port: int = 8000
    user: int = 1
    group: int = 1
    instances: int = 1
    process: str = "web"
    project: str = "MyProject"
    workers: int = 1
    memory_limit: str = "256Mi"
    storage_dir: str | None = None
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def container_config_path(self) -> str:
        """Absolute path of the container config inside the image."""
        return f"/config/{self.process}.yaml"


def master_config(params: DjangoParams) -> dict[str, object]:
    """The master config: lithos' defaults, spelled out where the tutorial relies on them."""
    del params
    return {
        "runtime-dir": "/run/lithos",
        "devfs-dir": "/var/lib/lithos/dev",
        "default-log-dir": "/var/log/lithos",
        "log-level": "warn",
    }


def sandbox_config(params: DjangoParams) -> dict[str, object]:
    """The sandbox: which images, users, groups and ports the role may use."""
    config: dict[str, object] = {
        "image-dir": params.image_dir,
        "image-dir-levels": 1,
        "allow-users": [params.user],
        "default-user": params.user,
        "allow-groups": [params.group],
        "default-group": params.group,
        "allow-tcp-ports": [params.port],
    }
    if params.storage_dir:
        config["writable-paths"] = {"/storage": params.storage_dir}
    return config


def process_config(params: DjangoParams) -> dict[str, object]:
    """The process config: what verwalter renders later; here one static entry."""
    return {params.process: {
        "image": params.image,
        "config": params.container_config_path,
        "instances": params.instances,
    }}


def container_config(params: DjangoParams) -> dict[str, object]:
    """The container config shipped inside the image at ``/config/<process>.yaml``."""
    environ = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": "/app",
        "DJANGO_SETTINGS_MODULE": f"{params.project}.settings",
        "GUNICORN_FD": "3",
        "CANTAL_PATH": "/state/metrics",
        **params.environ,
    }
    volumes: dict[str, object] = {
        "/tmp": Tagged("!Tmpfs", {"size": "16Mi", "mode": OctalInt(0o1777)}),
        "/state": Tagged("!Statedir", {}),
    }
    if params.storage_dir:
        volumes["/storage"] = Tagged("!Persistent", {
            "path": "/storage", "mkdir": True, "user": params.user, "group": params.group,
            "mode": OctalInt(0o755)})
    return {
        "kind": "Daemon",
        "user-id": params.user,
        "group-id": params.group,
        "memory-limit": params.memory_limit,
        "fileno-limit": "4k",
        "executable": "/usr/bin/python3",
        "arguments": ["-m", "gunicorn", f"--workers={params.workers}",
                      f"{params.project}.wsgi"],
        "workdir": "/app",
        "environ": environ,
        "volumes": volumes,
        "tcp-ports": {params.port: {"fd": 3}},
    }


def generate_files(params: DjangoParams) -> dict[str, str]:
    """Every generated file as ``{relative path: YAML text}``."""
    return {
        "master.yaml": dump(master_config(params)),
        f"sandboxes/{params.sandbox}.yaml": dump(sandbox_config(params)),
        f"processes/{params.sandbox}.yaml": dump(process_config(params)),
        f"config/{params.process}.yaml": dump(container_config(params)),
    }


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` under ``out``: all to temp files first, then rename each into place.

    A failure before the renames leaves no new file behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for relative, text in files.items():
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".tmp.{target.name}.", dir=target.parent)
            staged.append((Path(temp), target))
            try:
                stream = os.fdopen(handle, "w")
            except BaseException:
                os.close(handle)
                raise
            with stream:
                stream.write(text)
            os.chmod(temp, 0o644)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in staged:
        os.replace(temp, target)
    return [target for _, target in staged]
