"""Browser tests: a real ``openler serve`` process (migrated and seeded SQLite database in a
temporary folder) driven by Debian's headless Chromium through Playwright's Python API.

- ``live`` — the running server: ``live.url`` (``http://localhost:<port>``), ``live.data_dir``
  (its outbox of e-mails is ``data_dir / "outbox"``), ``live.cli(*args)`` runs an ``openler``
  command against the same database
- ``browser`` — one Chromium for the session (never downloaded: ``/usr/bin/chromium``,
  installed by ``make test`` from Debian's packages)
- ``page`` — a fresh browser context per test; a console error or a Content-Security-Policy
  violation on any page fails the test
- ``shot(page, name)`` — a full-page screenshot into ``test-artifacts/e2e/``
- ``audit(page)`` — runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page and fails on
  any violation, naming the rule and the elements
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("OPENLER_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
#: Chromium's own background traffic (updates, sync, safe browsing) is switched off: the
#: tests only ever talk to the local server.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


_OPENLER = (sys.executable, "-m", "openler.cli")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    seed_output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        """Run ``openler ARGS`` against this server's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "openler.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"openler {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def emails(self) -> list[str]:
        """The messages the server wrote to its outbox folder, oldest first."""
        outbox = self.data_dir / "outbox"
        if not outbox.exists():
            return []
        files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [p.read_text(encoding="utf-8", errors="replace") for p in files]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {
        **os.environ,
        "OPENLER_ENV": "development",
        "OPENLER_DATA_DIR": str(folder / "var"),
        "OPENLER_BASE_URL": f"http://localhost:{port}",
        "OPENLER_RATE_LIMIT_PER_SECOND": "0",
    }
    for name in ("OPENLER_DATABASE_URL", "OPENLER_SECRET_KEY", "OPENLER_SMTP_URL"):
        env.pop(name, None)
    log = folder / "server.log"
    for step in (["db", "upgrade"], ["seed"]):
        done = subprocess.run(
            [sys.executable, "-m", "openler.cli", *step],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"openler {' '.join(step)}:\n{done.stdout}\n{done.stderr}"
        seed_output = done.stdout
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*_OPENLER, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(
        url=f"http://localhost:{port}",
        data_dir=folder / "var",
        env=env,
        process=process,
        log=log,
        seed_output=seed_output,
    )
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"openler serve exited:\n{log.read_text()}")
                try:
                    if client.get("/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"openler serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package "
            "(browsers are never downloaded).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, live: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    problems: list[str] = []
    tab = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{tab.url}: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"{tab.url}: {error}"))
    try:
        yield tab
    finally:
        context.close()
    # A CSP violation, a script error or a failed sub-resource load is a bug in a page.
    assert not problems, "browser console errors:\n" + "\n".join(problems)


Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="session")
def shot() -> Shot:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = [0]

    def take(tab: Page, name: str) -> Path:
        counter[0] += 1
        path = ARTIFACTS / f"{counter[0]:02d}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take


Audit = Callable[[Page], None]

_AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
  }));
}"""


@pytest.fixture(scope="session")
def audit() -> Audit:
    source = AXE.read_text(encoding="utf-8")

    def run(tab: Page) -> None:
        # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays
        # in force for the page itself.
        tab.evaluate(source)
        violations = tab.evaluate(_AXE_RUN)
        assert not violations, f"accessibility violations on {tab.url}:\n" + json.dumps(
            violations, indent=2
        )

    return run
