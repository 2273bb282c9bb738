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

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.scalarint import OctalInt

from ..generated import atomic_write
from ..quire import Tagged, dump

#: Where the tutorial keeps every sandbox's images on the nodes: one directory per sandbox.
IMAGE_ROOT = "/var/lib/lithos/images"

#: The image-dir of the default ``django`` sandbox.
DEFAULT_IMAGE_DIR = f"{IMAGE_ROOT}/django"

# lithos_cmd only accepts sandbox and process names made of word characters and
# dashes; lithos_tree reads sandboxes/<name>.yaml, so a dot or slash would also
# change which file it is.
_LITHOS_NAME = re.compile(r"[\w-]+")


def default_image_dir(sandbox: str) -> str:
    """The image-dir the tutorial gives a sandbox: ``/var/lib/lithos/images/<sandbox>``.

    >>> default_image_dir("hello")
    '/var/lib/lithos/images/hello'
    """
    return f"{IMAGE_ROOT}/{sandbox}"


def lithos_name_problem(name: str) -> str | None:
    """Why lithos would reject *name* as a sandbox or process name (``None``: it would not).

    >>> lithos_name_problem("my-app_2") is None
    True
    >>> lithos_name_problem("my.app")
    "'my.app' is not a lithos name: use only letters, digits, '_' and '-'"
    """
    if _LITHOS_NAME.fullmatch(name):
        return None
    if not name:
        return "must not be empty"
    return f"{name!r} is not a lithos name: use only letters, digits, '_' and '-'"


def python_module_problem(name: str) -> str | None:
    """Why *name* cannot be a Django project (a top-level Python package), or ``None``.

    >>> [python_module_problem(name) for name in ("MyProject", "my-site", "class")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [None,
     "'my-site' is not a Python module name (letters, digits and '_', not starting with a digit)",
     "'class' is a Python keyword, it cannot name a module"]
    """
    for broken, why in ((not name.isidentifier(), "is not a Python module name (letters, "
                         "digits and '_', not starting with a digit)"),
                        (keyword.iskeyword(name), "is a Python keyword, it cannot name a module")):
        if broken:
            return f"{name!r} {why}"
    return None


@dataclass(frozen=True)
class DjangoParams:
    """The few choices behind the generated configs.

    An empty ``image_dir`` becomes the sandbox's own directory,
    ``/var/lib/lithos/images/<sandbox>``. A sandbox, process or project name the
    tools would reject raises :class:`ValueError` naming the field.
    """

    sandbox: str = "django"
    image: str = "django-deploy.current"
    image_dir: str = ""
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

    def __post_init__(self) -> None:
        for name, problem in (("sandbox", lithos_name_problem(self.sandbox)),
                              ("process", lithos_name_problem(self.process)),
                              ("project", python_module_problem(self.project))):
            if problem:
                raise ValueError(f"{name}: {problem}")
        if not self.image_dir:
            object.__setattr__(self, "image_dir", default_image_dir(self.sandbox))

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
    """Write ``files`` under ``out``, overwriting what is there: all to temp files first,
    then rename each into place.

    A failure before the renames leaves no new file behind. The commands use
    :mod:`tools.generated` instead, which also refuses to overwrite edited files.
    """
    return atomic_write((out / relative, text) for relative, text in files.items())
