"""The learner's pages (the wallet), under ``/wallet``; every page but the claim and
sign-in link pages needs a signed-in user, and shows only that user's record.

| page | module |
|---|---|
| ``/wallet`` the record (filters), ``/wallet/credentials/{key}`` one credential | :mod:`.record` |
| ``/wallet/claim/{token}``, ``/wallet/sign-in/{token}`` one-time links | :mod:`.claim` |
| ``/wallet/import`` paste or upload a credential | :mod:`.imports` |
| ``/wallet/employment`` jobs (self-asserted and employer-issued) | :mod:`.employment` |
| ``/wallet/skills`` the skills profile from verified evidence | :mod:`.skills` |
| ``/wallet/shares`` share links, QR codes, access logs | :mod:`.shares` |
| ``/wallet/exports`` CLR bundle, PDF résumé | :mod:`.exports` |

Anything that is not the learner's (another learner's credential key, job, share id) is the
same 404 page as an unknown id. Every form carries the CSRF token, works without
JavaScript, and changes nothing when refused (each change runs in a SAVEPOINT). The
share-link landing page for recipients is :mod:`openler.web.share`. See docs/wallet.md.
"""

from __future__ import annotations

from openler.web.templating import web_router
from openler.web.wallet import claim, employment, exports, imports, record, shares, skills

__all__ = ["router"]

router = web_router()
for _module in (record, claim, imports, employment, skills, shares, exports):
    router.include_router(_module.router)
