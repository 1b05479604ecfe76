"""The web inbox in a real browser: Debian's headless Chromium, driven by Selenium.

Issue 8 asks for browser tests that open the inbox, find an email, open it and see its rendered
body; that the email's HTML cannot run script in the page; and for a screenshot of the inbox,
kept as a test artefact (``build/test-artifacts/inbox.png``); docs/images/inbox.png is a copy.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest

from notifiedby.sandbox import Attachment, Sandbox
from tests.sandbox.conftest import Api

pytest.importorskip("selenium", reason="needs selenium (pip install -e '.[dev]')")

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ROOT = Path(__file__).resolve().parents[2]
#: Where the inbox screenshot is kept after the run (git-ignored, like all of build/).
ARTEFACTS = ROOT / "build" / "test-artifacts"
#: Seconds to wait for anything in the page; the whole module takes a few seconds.
WAIT = 10

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver (.ci/run installs them:"
        " apt-get install chromium chromium-driver)",
    ),
    pytest.mark.timeout(60),
]

#: A transparent 1x1 GIF: the beacon answers image requests with it, so the email looks tidy.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class Beacon:
    """A loopback server that records the paths a browser asks it for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                beacon.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(PIXEL)))
                self.end_headers()
                self.wfile.write(PIXEL)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a fresh profile, through Debian's chromedriver."""
    assert CHROMIUM is not None
    assert CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Don't wait for the email frames' images on every load: the test waits for what it needs.
    options.page_load_strategy = "eager"
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's own sandbox can't start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    with tempfile.TemporaryDirectory(prefix="nb-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # The driver is named explicitly, so Selenium Manager never tries to download one.
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(WAIT)
            yield driver
        finally:
            driver.quit()


def _wait(browser: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(browser, WAIT, poll_frequency=0.05)


def _card(browser: webdriver.Chrome, subject: str) -> WebElement:
    """The email card whose subject reads ``subject``, as a reader would find it."""
    return _wait(browser).until(
        expected_conditions.presence_of_element_located(
            (
                By.XPATH,
                "//details[contains(@class, 'email')]"
                f"[.//span[@class='subject'][normalize-space()='{subject}']]",
            )
        )
    )


def _receipt(beacon: Beacon) -> str:
    """An email body with a heading, a tracking pixel, and script that must never run."""
    return (
        "<h1 style='color:#0b69a3;font-family:sans-serif'>Thank you, Alan!</h1>"
        "<p style='font-family:sans-serif'>Your order <b>#1042</b> is confirmed.</p>"
        f'<img src="{beacon.url}/pixel.gif" width="1" height="1" alt="">'
        f'<script>new Image().src = "{beacon.url}/script-ran";'
        ' document.body.dataset.ran = "yes";'
        ' parent.document.body.dataset.pwned = "yes";</script>'
        f'<img hidden src="data:," onerror="new Image().src = \'{beacon.url}/handler-ran\'">'
    )


def test_open_an_email_and_see_its_body_but_never_its_script(
    api: Api, sandbox: Sandbox, beacon: Beacon, browser: webdriver.Chrome
) -> None:
    reset_id = api.send("grace@example.com", subject="Your password reset link")
    api.send("alan@example.com", subject="Your receipt #1042", body=_receipt(beacon))

    # A link to /#email-<id> opens that email: the page's own script runs under its policy.
    browser.get(f"{sandbox.url}/#email-{reset_id}")
    assert _card(browser, "Your password reset link").get_attribute("open") == "true"
    receipt = _card(browser, "Your receipt #1042")
    assert receipt.get_attribute("open") is None

    receipt.find_element(By.TAG_NAME, "summary").click()
    frame = receipt.find_element(By.TAG_NAME, "iframe")
    _wait(browser).until(lambda _: frame.is_displayed())
    browser.switch_to.frame(frame)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    ran_inside = browser.find_element(By.TAG_NAME, "body").get_attribute("data-ran")
    browser.switch_to.default_content()
    # The frame loaded its image, so a script that ran would have had time to call home too.
    _wait(browser).until(lambda _: "/pixel.gif" in beacon.paths)

    assert receipt.get_attribute("open") == "true"
    assert heading == "Thank you, Alan!"
    assert ran_inside is None
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-pwned") is None
    assert "/script-ran" not in beacon.paths
    assert "/handler-ran" not in beacon.paths


def test_the_clock_button_runs_the_flows_and_the_inbox_is_screenshotted(
    api: Api, sandbox: Sandbox, beacon: Beacon, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    api.upsert("ada@example.com", first_name="Ada", last_name="Lovelace", flags=["trial"])
    api.upsert("alan@example.com", first_name="Alan", last_name="Turing", flags=["premium"])
    api.upsert("bounce@example.com", first_name="Bo", last_name="Unce", flags=["trial"])
    api.subscribe("ada@example.com")
    api.subscribe("bounce@example.com")  # a magic address: its mail bounces, then it is blocked
    api.subscribe("alan@example.com", "PREMIUM_ONBOARDING")
    api.post(
        "/v1/email/send/",
        data={
            "recipient": "alan@example.com",
            "subject": "Your receipt #1042",
            "body": _receipt(beacon),
            "plain_body": "Thank you, Alan! Your order #1042 is confirmed.",
        },
        files=[("attachment", ("receipt-1042.pdf", b"%PDF-1.4 fake", "application/pdf"))],
    )
    browser.get(f"{sandbox.url}/")
    _card(browser, "Your receipt #1042").find_element(By.TAG_NAME, "summary").click()
    header = browser.find_element(By.TAG_NAME, "header")

    header.find_element(By.XPATH, ".//button[normalize-space()='+1 day']").click()
    # The button moves the clock, then the page reloads with what the flows sent. While the
    # page reloads, chromedriver may answer with any error (not only "stale element").
    WebDriverWait(
        browser, WAIT, poll_frequency=0.05, ignored_exceptions=(WebDriverException,)
    ).until(
        lambda _: "day ahead" in browser.find_element(By.TAG_NAME, "header").text,
        message="the page did not reload with the clock moved",
    )
    welcome = _card(browser, "Welcome, Ada!")
    premium = _card(browser, "Welcome to Premium")
    header_text = browser.find_element(By.TAG_NAME, "header").text

    assert "1 day ahead of the wall clock" in header_text
    assert "4 emails · 3 recipients" in header_text
    assert "to ada@example.com" in welcome.text
    assert "bounced" in _card(browser, "Welcome, Bo!").text
    assert "via WELCOME_SIGNUP" in welcome.text
    assert "via PREMIUM_ONBOARDING" in premium.text
    # The email opened before the reload is still open after it.
    assert _card(browser, "Your receipt #1042").get_attribute("open") == "true"
    assert sorted(e.subject for e in sandbox.emails[1:]) == [
        "Welcome to Premium",
        "Welcome, Ada!",
        "Welcome, Bo!",
    ]

    # The whole page at a desktop width: the viewport is made as tall as the page.
    metrics = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    png = browser.get_screenshot_as_png()
    (tmp_path / "inbox.png").write_bytes(png)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "inbox.png").write_bytes(png)

    assert png.startswith(b"\x89PNG")
    assert int.from_bytes(png[16:20], "big") == 1280  # the IHDR width


def _attack(beacon: Beacon) -> str:
    """Script that, if it ever ran in the inbox's origin, would say so three ways."""
    return (
        "<script>document.title = 'pwned';"
        f" new Image().src = '{beacon.url}/script-ran';"
        " fetch('/_sandbox/reset/', {method: 'POST'});</script>"
    )


def _downloads(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".crdownload"))


def test_an_attachment_cannot_run_script_in_the_inbox(
    api: Api,
    sandbox: Sandbox,
    beacon: Beacon,
    browser: webdriver.Chrome,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 13: a content type holding "\n" was written back as headers on download, so the
    # browser ran the attachment's script as a page of the inbox, able to reset the sandbox.
    script = _attack(beacon)
    injected = f"text/html\nContent-Length: {len(script)}\n\n{script}"
    boundary = "nb-browser"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="recipient"\r\n\r\n'
        "alan@example.com\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="subject"\r\n\r\nFiles\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\n<p>b</p>\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="a.html"'
        f"\r\nContent-Type: {injected}\r\n\r\ncontent\r\n--{boundary}--\r\n"
    ).encode()
    refused = api.post(
        "/v1/email/send/",
        data=multipart,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert refused.status_code == 400
    # An HTML attachment as a client may well send one, and the payload as a --data file
    # written by an older sandbox may still hold it.
    api.post(
        "/v1/email/send/",
        data={"recipient": "alan@example.com", "subject": "Files", "body": "<p>b</p>"},
        files=[("attachment", ("page.html", script.encode(), "text/html"))],
    )
    [sent] = sandbox.emails
    stored = (*sent.attachments, Attachment("old.html", injected, script.encode()))
    poisoned = attrs.evolve(sent, attachments=stored)
    monkeypatch.setattr(sandbox.control, "sent_emails", lambda: [poisoned])
    sandbox.block("keep@example.com")  # gone if the script's reset ever ran
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )

    # Opened directly: each must stay a download (the page does not change), never render
    # as a page of the inbox's origin.
    inbox_page = f"{sandbox.url}/#email-{sent.id}"
    opened = []
    for index in (0, 1):
        browser.get(inbox_page)
        _card(browser, "Files")
        browser.get(f"{sandbox.url}/inbox/emails/{sent.id}/attachments/{index}")
        opened.append((browser.current_url, browser.title))
    assert opened == [(inbox_page, "NotifiedBy sandbox inbox")] * 2
    # And through the inbox's links, as a reader would.
    browser.get(inbox_page)
    for link in _card(browser, "Files").find_elements(By.CSS_SELECTOR, "a[download]"):
        link.click()
    _wait(browser).until(
        lambda _: (
            {name.split(" ")[0].split(".")[0] for name in _downloads(tmp_path)} == {"old", "page"}
        )
    )

    assert "/script-ran" not in beacon.paths
    assert sandbox.control.store.blocked() == ["keep@example.com"]
    assert (tmp_path / "page.html").read_bytes() == script.encode()
