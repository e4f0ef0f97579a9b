"""``/wallet/skills``: the skills aligned to the learner's *verified* achievements, grouped
by framework, each with its evidence trail (which credential, issuer, date, results).
Credentials that do not verify, and self-asserted jobs, never count
(:func:`openler.services.skills_profile.skills_profile`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from openler.api.deps import DbSession
from openler.services.skills_profile import skills_profile
from openler.web.auth import SignedInUser
from openler.web.templating import web_router
from openler.web.wallet._common import clock, wallet_page

__all__ = ["router"]

router = web_router()


@router.get("/wallet/skills", response_class=HTMLResponse)
def skills_page(request: Request, session: DbSession, user: SignedInUser) -> HTMLResponse:
    profile = skills_profile(session, user, now=clock(request))
    return wallet_page(
        request,
        "wallet/skills.html",
        "skills",
        {"title": "Skills profile", "profile": profile},
    )
