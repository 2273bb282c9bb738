"""The reader's view: sites built into temp dirs, served on 127.0.0.1, read by headless Chromium.

Chromium and its driver come from Debian (``apt-get install chromium chromium-driver``);
selenium is pointed at /usr/bin/chromedriver and runs offline (selenium-manager downloads
nothing). Mermaid's JS comes from the ``mmdc`` package (PyPI), wrapped as the ES module the
mermaid extension imports, through conf.py's ``DEPLOYDOCS_MERMAID_LOCAL``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO / "_build" / "screenshots"


def mermaid_dir(dest: Path) -> Path:
    """A directory with ``mermaid.mjs``: an ES module exporting the mermaid of ``mmdc``."""
    import importlib.util

    spec = importlib.util.find_spec("mmdc")  # located, not imported (importing it warns)
    assert spec is not None and spec.submodule_search_locations, "pip install the test extra"
    package = Path(next(iter(spec.submodule_search_locations)))
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(package / "assets" / "mermaid.js", dest / "mermaid.iife.js")
    (dest / "mermaid.mjs").write_text(
        'import "./mermaid.iife.js";\nexport default globalThis.mermaid;\n')
    return dest


def sphinx_build(src: Path, out: Path, **env: str) -> None:
    """Build *src* into *out*/html (doctrees beside it); fail with the log when it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out / "html"),
         "-d", str(out / "doctrees")],
        env={**os.environ, "DEPLOYDOCS_REPO": str(REPO), **env}, cwd=REPO,
        capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


@functools.cache
def _server_for(directory: str) -> str:
    handler = functools.partial(_Quiet, directory=directory)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def serve(directory: Path) -> str:
    """Serve *directory* on a loopback port for the rest of the session; return its base URL."""
    return _server_for(str(directory))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian through its own chromedriver."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "chromium / chromium-driver are not installed (apt-get install them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The whole site in render mode (mermaid from the local copy), and its served URL."""
    out = tmp_path_factory.mktemp("site")
    sphinx_build(REPO, out, DEPLOYDOCS_MODE="render",
                 DEPLOYDOCS_MERMAID_LOCAL=str(mermaid_dir(out / "mermaid")))
    return out, serve(out / "html")


def save_screenshot(driver: object, out: Path, name: str) -> Path:
    """Screenshot into the build's _build/screenshots and a copy under the repo's."""
    target = out / "_build" / "screenshots" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target))  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, SCREENSHOTS / name)
    return target
