"""The browser harness itself: the server runs, pages load under their CSP without console
errors, the start page passes the accessibility audit and works on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Audit, LiveServer, Shot


def test_start_page_in_chromium(page: Page, live: LiveServer, audit: Audit, shot: Shot) -> None:
    page.goto("/")
    assert page.title().startswith("Learning and Employment Records")
    assert page.get_by_role("heading", level=1).inner_text() == "Learning and Employment Records"
    # htmx loaded from /static under the strict policy
    assert page.evaluate("typeof htmx") == "object"
    audit(page)
    shot(page, "start-page")

    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the start page scrolls sideways on a phone ({width}px)"
    shot(page, "start-page-phone")


def test_keyboard_reaches_the_main_content(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_audit_catches_an_unlabelled_field(page: Page, audit: Audit) -> None:
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Form</h1>'
        '<input type="text" name="email"></main></body></html>'
    )
    with pytest.raises(AssertionError, match='"id": "label"'):
        audit(page)
