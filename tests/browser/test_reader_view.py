"""What a reader sees in a real browser: theme, copy button, Mermaid, badges, the report."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import REPO, save_screenshot, serve, sphinx_build

DEADLINE = 30


def _open(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, DEADLINE).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def test_the_tutorial_first_page_renders_with_the_theme_navigation(browser, site) -> None:
    out, base = site
    _open(browser, f"{base}/tutorial/index.html")
    nav = browser.find_element(By.CSS_SELECTOR, "nav.wy-nav-side")
    assert nav.is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "nav.wy-nav-side .wy-menu a")
    assert browser.find_element(By.CSS_SELECTOR, "div.rst-content h1").text.strip()
    save_screenshot(browser, out, "tutorial-index.png")


def test_the_copy_button_copies_commands_without_prompt_or_output(browser, site) -> None:
    _out, base = site
    _open(browser, f"{base}/tutorial/machines.html")
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    block = next(b for b in browser.find_elements(By.CSS_SELECTOR, "div.highlight-console")
                 if b.find_elements(By.CSS_SELECTOR, "span.go"))
    shown = block.find_element(By.CSS_SELECTOR, "pre").text
    commands = [line[2:] for line in shown.splitlines() if line.startswith("$ ")]
    outputs = [line for line in shown.splitlines() if line and not line.startswith("$ ")]
    assert commands and outputs, shown
    button = block.find_element(By.CSS_SELECTOR, "button.copybtn")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", block)
    ActionChains(browser).move_to_element(block).click(button).perform()
    copied = WebDriverWait(browser, DEADLINE).until(lambda d: d.execute_async_script(
        "const done = arguments[0];"
        "navigator.clipboard.readText().then(done, e => done('')); "))
    assert copied.rstrip("\n").splitlines() == commands
    assert "$ " not in copied
    assert not any(line in copied.splitlines() for line in outputs)


def test_a_mermaid_diagram_is_drawn_from_the_local_copy(browser, site) -> None:
    out, base = site
    _open(browser, f"{base}/tutorial/what-you-build.html")
    svg = WebDriverWait(browser, DEADLINE).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".mermaid svg"))
    assert svg[0].size["width"] > 50 and svg[0].size["height"] > 50
    assert svg[0].find_elements(By.CSS_SELECTOR, "g")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", svg[0])
    save_screenshot(browser, out, "mermaid-what-you-build.png")


def test_the_site_report_page_lists_the_tutorial_blocks(browser, site) -> None:
    _out, base = site
    _open(browser, f"{base}/reference/verification.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.deploydocs-report tbody tr")
    pages = {row.find_elements(By.TAG_NAME, "td")[0].text for row in rows}
    assert len(rows) > 10
    assert any(page.startswith("tutorial/") for page in pages), pages


@pytest.mark.lab
def test_a_block_verified_on_the_lab_shows_its_badge_and_report_row(
        browser, tmp_path_factory: pytest.TempPathFactory) -> None:
    """tests/roots/test-lab verified on a docker lab of its own, then rendered and read."""
    work = tmp_path_factory.mktemp("verified")
    src = work / "src"
    shutil.copytree(REPO / "tests" / "roots" / "test-lab", src,
                    ignore=shutil.ignore_patterns("_build", "_verified"))
    lab = f"deploydocs.lab-t{os.getpid()}-browser"
    sphinx_build(src, work / "verify", DEPLOYDOCS_MODE="verify",
                 DEPLOYDOCS_LAB="tests.faults.ephemeral_lab:open_ephemeral_lab",
                 DEPLOYDOCS_FAULT_LAB=lab,
                 PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    assert list((src / "_verified").glob("*.json"))
    out = work / "render"
    sphinx_build(src, out, DEPLOYDOCS_MODE="render")
    base = serve(out / "html")
    _open(browser, f"{base}/basics.html")
    badges = browser.find_elements(By.CSS_SELECTOR, "p.deploydocs-badge.deploydocs-passed")
    assert badges and badges[0].is_displayed()
    assert "verified" in badges[0].text and "node1" in badges[0].text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", badges[0])
    save_screenshot(browser, Path(out), "verified-badge-basics.png")
    _open(browser, f"{base}/report.html")
    statuses = [row.find_elements(By.TAG_NAME, "td")[5].text for row in
                browser.find_elements(By.CSS_SELECTOR, "table.deploydocs-report tbody tr")]
    assert "passed" in statuses, statuses
