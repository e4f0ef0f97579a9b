"""The start page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from openler.web.templating import render, web_router

router = web_router()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """What openler is, and the way in for verifiers, learners and issuers."""
    return render(request, "home.html")
