"""``/console/{slug}/issue`` (issue one credential) and ``/console/{slug}/credentials``
(search, filters and paging; one credential with its JSON; revoke, suspend and unsuspend
with a reason, each after a confirmation page)."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, selectinload

from openler.api.deps import DbSession
from openler.core.errors import InvalidInput
from openler.services.issuing import (
    IssueRequest,
    StatusConflict,
    change_status,
    issue_credential,
    recipient_lookup,
)
from openler.store.models import (
    AchievementDefinition,
    CredentialStatus,
    IssuedCredential,
    Organization,
    PublicationStatus,
    RecipientKind,
)
from openler.store.paging import keyset_page
from openler.web.auth import CsrfChecked, OrgAccess
from openler.web.console._common import (
    PAGE_SIZE,
    Issuer,
    KeyStoreDep,
    Viewer,
    actor_of,
    clock,
    console_page,
    decode_cursor,
    parse_date,
    redirect,
    savepoint,
    settings_of,
)
from openler.web.console.achievements import Form
from openler.web.templating import WebError, render, web_router

__all__ = ["router"]

router = web_router()

_KINDS: Final = {
    "email": RecipientKind.EMAIL,
    "did": RecipientKind.DID,
    "identifier": RecipientKind.INSTITUTIONAL_ID,
}
_UUID: Final = re.compile(r"^(?:urn:uuid:)?([0-9a-fA-F-]{36})$")
_ACTIONS: Final = {
    "revoke": ("Revoke", "revoked"),
    "suspend": ("Suspend", "suspended"),
    "unsuspend": ("Lift the suspension of", "unsuspended"),
}


# -- issuing -----------------------------------------------------------------------------------


def published_achievements(session: Session, org: Organization) -> list[AchievementDefinition]:
    """The latest published version of each achievement, by name."""
    rows = session.scalars(
        sa.select(AchievementDefinition)
        .where(
            AchievementDefinition.organization_id == org.id,
            AchievementDefinition.status == PublicationStatus.PUBLISHED,
        )
        .order_by(AchievementDefinition.logical_id, AchievementDefinition.version.desc())
    )
    latest: dict[str, AchievementDefinition] = {}
    for row in rows:
        latest.setdefault(row.logical_id, row)
    return sorted(latest.values(), key=lambda d: str(d.achievement.get("name", "")).lower())


def _chosen(
    options: list[AchievementDefinition], logical_id: str | None
) -> AchievementDefinition | None:
    return next((d for d in options if d.logical_id == logical_id), None)


def _result_fields(definition: AchievementDefinition | None) -> list[dict[str, Any]]:
    """One field per result description of the achievement (a level list for rubrics)."""
    if definition is None:
        return []
    described = definition.achievement.get("resultDescription") or []
    fields = []
    for i, rd in enumerate(described if isinstance(described, list) else [described]):
        if not isinstance(rd, dict):
            continue
        levels = rd.get("rubricCriterionLevel") or []
        fields.append(
            {
                "index": i,
                "id": rd.get("id"),
                "name": rd.get("name", f"Result {i + 1}"),
                "type": rd.get("resultType", ""),
                "levels": [(lv.get("id"), lv.get("name")) for lv in levels if isinstance(lv, dict)],
                "hint": _range_hint(rd),
            }
        )
    return fields


def _range_hint(rd: dict[str, Any]) -> str | None:
    low, high, required = rd.get("valueMin"), rd.get("valueMax"), rd.get("requiredValue")
    parts = []
    if low is not None and high is not None:
        parts.append(f"From {low} to {high}.")
    if required is not None:
        parts.append(f"Required: {required}.")
    return " ".join(parts) or None


def _issue_page(
    request: Request,
    session: Session,
    access: OrgAccess,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    options = published_achievements(session, access.org)
    chosen = _chosen(options, values.get("achievement"))
    return console_page(
        request,
        access,
        "console/issue.html",
        "issue",
        {
            "title": "Issue a credential",
            "values": values,
            "errors": errors or {},
            "options": options,
            "chosen": chosen,
            "result_fields": _result_fields(chosen),
        },
        status_code=status_code,
    )


@router.get("/console/{slug}/issue", response_class=HTMLResponse)
def issue_form(
    request: Request, session: DbSession, access: Issuer, achievement: str = ""
) -> HTMLResponse:
    values = {
        "achievement": achievement[:100],
        "recipient_kind": "email",
        "status_purpose": "revocation",
        "idempotency_key": secrets.token_urlsafe(16),
    }
    return _issue_page(request, session, access, values)


@router.get("/console/{slug}/issue/results", response_class=HTMLResponse)
def result_fields(
    request: Request, session: DbSession, access: Issuer, achievement: str = ""
) -> HTMLResponse:
    """The result fields of the chosen achievement (an htmx fragment)."""
    chosen = _chosen(published_achievements(session, access.org), achievement[:100])
    return render(
        request,
        "console/_result_fields.html",
        {"result_fields": _result_fields(chosen), "values": {}, "errors": {}},
    )


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _results(
    form: Any, fields: list[dict[str, Any]], values: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    results = []
    for f in fields:
        name = f"result-{f['index']}"
        raw = form.get(name)
        value = raw.strip()[:200] if isinstance(raw, str) else ""
        values[name] = value
        if not value:
            continue
        result: dict[str, Any] = {"type": ["Result"], "resultDescription": f["id"]}
        if f["levels"]:
            if value not in {level_id for level_id, _ in f["levels"]}:
                errors[name] = "Choose one of the levels."
                continue
            result["achievedLevel"] = value
        else:
            result["value"] = value
        results.append(result)
    return results


@router.post("/console/{slug}/issue", response_class=HTMLResponse, dependencies=[CsrfChecked])
def issue(
    request: Request,
    session: DbSession,
    access: Issuer,
    keystore: KeyStoreDep,
    form: Form,
) -> Response:
    """Issue and sign one credential; a repeated submission of the same form (its
    idempotency key) issues once."""

    def get(name: str, limit: int = 2000) -> str:
        value = form.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    values: dict[str, Any] = {
        name: get(name)
        for name in (
            "achievement",
            "recipient_kind",
            "recipient",
            "evidence_name",
            "evidence_url",
            "evidence_narrative",
            "valid_from",
            "valid_until",
            "activity_start",
            "activity_end",
            "status_purpose",
            "idempotency_key",
        )
    }
    values["legacy_proof"] = get("legacy_proof") == "1"
    errors: dict[str, str] = {}
    options = published_achievements(session, access.org)
    chosen = _chosen(options, values["achievement"])
    if chosen is None:
        errors["achievement"] = (
            "Choose one of the published achievements."
            if values["achievement"]
            else "Choose the achievement to award."
        )
    if values["achievement"] and chosen is not None and form.get("action") == "choose":
        return _issue_page(request, session, access, values)
    kind = _KINDS.get(values["recipient_kind"])
    if kind is None:
        errors["recipient_kind"] = "Choose how the learner is identified."
    if not values["recipient"]:
        errors["recipient"] = "Enter the learner's e-mail address, DID or identifier."
    results = _results(form, _result_fields(chosen), values, errors)
    evidence = []
    if values["evidence_url"] or values["evidence_name"] or values["evidence_narrative"]:
        if values["evidence_url"] and not _is_web_url(values["evidence_url"]):
            errors["evidence_url"] = "Enter a full web address starting with https://."
        item: dict[str, Any] = {"type": ["Evidence"]}
        for key, member in (
            ("evidence_url", "id"),
            ("evidence_name", "name"),
            ("evidence_narrative", "narrative"),
        ):
            if values[key]:
                item[member] = values[key]
        evidence.append(item)
    valid_from = parse_date(values["valid_from"])
    valid_until = parse_date(values["valid_until"], end_of_day=True)
    if values["valid_from"] and valid_from is None:
        errors["valid_from"] = "Enter a date like 2026-06-30."
    if values["valid_until"] and valid_until is None:
        errors["valid_until"] = "Enter a date like 2030-06-30."
    elif valid_until is not None and valid_until <= (valid_from or clock(request)):
        errors["valid_until"] = "The credential must stay valid after it starts."
    activity_start = parse_date(values["activity_start"])
    activity_end = parse_date(values["activity_end"], end_of_day=True)
    if values["activity_start"] and activity_start is None:
        errors["activity_start"] = "Enter a date like 2026-01-15."
    if values["activity_end"] and activity_end is None:
        errors["activity_end"] = "Enter a date like 2026-06-30."
    elif activity_start and activity_end and activity_end < activity_start:
        errors["activity_end"] = "The activity cannot end before it starts."
    if values["status_purpose"] not in ("revocation", "suspension"):
        errors["status_purpose"] = "Choose whether the credential can be suspended."
    key = values["idempotency_key"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key or ""):
        key = values["idempotency_key"] = secrets.token_urlsafe(16)
    if errors:
        return _issue_page(request, session, access, values, errors, status_code=422)
    assert chosen is not None
    assert kind is not None
    suites = ["eddsa-rdfc-2022"] + (["Ed25519Signature2020"] if values["legacy_proof"] else [])
    try:
        with savepoint(session):
            issued, _ = issue_credential(
                session,
                settings_of(request),
                keystore,
                access.org,
                IssueRequest(
                    achievement_id=chosen.id,
                    recipient=values["recipient"],
                    recipient_kind=kind,
                    results=results,
                    evidence=evidence,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    activity_start=activity_start,
                    activity_end=activity_end,
                    offer_claim=True,
                    status_purpose=values["status_purpose"],
                    idempotency_key=f"console:{access.user.id}:{key}",
                    suites=suites,
                ),
                actor=actor_of(access),
                now=clock(request),
            )
    except InvalidInput as exc:
        field = (
            "recipient"
            if "recipient" in exc.message.lower() or "address" in exc.message
            else "_form"
        )
        errors[field] = exc.message
        return _issue_page(request, session, access, values, errors, status_code=422)
    return redirect(
        f"/console/{access.org.slug}/credentials/{_short(issued.credential_id)}?done=issued"
    )


# -- the list ----------------------------------------------------------------------------------


def _short(credential_id: str) -> str:
    return credential_id.removeprefix("urn:uuid:")


@router.get("/console/{slug}/credentials", response_class=HTMLResponse)
def list_credentials(
    request: Request,
    session: DbSession,
    access: Viewer,
    q: str = "",
    achievement: str = "",
    status: str = "",
    issued_from: str = "",
    issued_to: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Newest first, :data:`PAGE_SIZE` a page. ``q``: a recipient exactly as issued to
    (e-mail address, DID or identifier) or a credential id."""
    org = access.org
    q, achievement = q.strip()[:500], achievement.strip()[:100]
    query = (
        sa.select(IssuedCredential)
        .where(IssuedCredential.organization_id == org.id)
        .options(selectinload(IssuedCredential.achievement))
    )
    if q:
        found = _UUID.match(q)
        if found:
            query = query.where(
                IssuedCredential.credential_id == f"urn:uuid:{found.group(1).lower()}"
            )
        else:
            query = query.where(IssuedCredential.recipient_lookup == recipient_lookup(q))
    if achievement:
        ids = sa.select(AchievementDefinition.id).where(
            AchievementDefinition.organization_id == org.id,
            AchievementDefinition.logical_id == achievement,
        )
        query = query.where(IssuedCredential.achievement_id.in_(ids))
    if status in {s.value for s in CredentialStatus}:
        query = query.where(IssuedCredential.status == CredentialStatus(status))
    start, end = parse_date(issued_from), parse_date(issued_to, end_of_day=True)
    if start is not None:
        query = query.where(IssuedCredential.issued_at >= start)
    if end is not None:
        query = query.where(IssuedCredential.issued_at <= end)
    total = int(session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)
    after = decode_cursor(cursor)
    page, next_cursor = keyset_page(
        session,
        query,
        at=IssuedCredential.issued_at,
        row_id=IssuedCredential.id,
        after=after,
        limit=PAGE_SIZE,
    )
    filters = {
        "q": q,
        "achievement": achievement,
        "status": status if status in {s.value for s in CredentialStatus} else "",
        "issued_from": issued_from if start else "",
        "issued_to": issued_to if end else "",
    }
    next_url = None
    if next_cursor is not None:
        params = {k: v for k, v in filters.items() if v}
        params["cursor"] = next_cursor
        next_url = f"/console/{org.slug}/credentials?{urlencode(params)}"
    first_url = None
    if after is not None:
        first_url = (
            f"/console/{org.slug}/credentials?{urlencode({k: v for k, v in filters.items() if v})}"
        )
    achievements = sorted(
        {
            (d.logical_id, str(d.achievement.get("name", d.logical_id)))
            for d in session.scalars(
                sa.select(AchievementDefinition).where(
                    AchievementDefinition.organization_id == org.id
                )
            )
        },
        key=lambda pair: pair[1].lower(),
    )
    return console_page(
        request,
        access,
        "console/credentials.html",
        "credentials",
        {
            "title": "Issued credentials",
            "items": [(c, _short(c.credential_id)) for c in page],
            "filters": filters,
            "total": total,
            "next_url": next_url,
            "first_url": first_url,
            "achievements": list(dict(achievements).items()),
            "statuses": [s.value for s in CredentialStatus],
        },
    )


# -- one credential ----------------------------------------------------------------------------


def _find(session: Session, org: Organization, short_id: str) -> IssuedCredential:
    found = _UUID.match(short_id)
    issued = None
    if found:
        try:
            wanted = f"urn:uuid:{uuid.UUID(found.group(1))}"
        except ValueError:
            wanted = None
        if wanted is not None:
            issued = session.scalar(
                sa.select(IssuedCredential).where(
                    IssuedCredential.organization_id == org.id,
                    IssuedCredential.credential_id == wanted,
                )
            )
    if issued is None:
        raise WebError(
            404, "Not found", "There is no such credential in this organization.", code="not_found"
        )
    return issued


def _actions(issued: IssuedCredential) -> list[str]:
    suspendable = issued.suspension_list_id is not None
    if issued.status is CredentialStatus.ACTIVE:
        return ["suspend", "revoke"] if suspendable else ["revoke"]
    if issued.status is CredentialStatus.SUSPENDED:
        return ["unsuspend", "revoke"]
    return []


def _status_entry(issued: IssuedCredential, base_url: str) -> dict[str, Any] | None:
    if issued.revocation_list is not None:
        return {
            "purpose": "revocation",
            "url": base_url + issued.revocation_list.url_path,
            "index": issued.revocation_index,
        }
    if issued.suspension_list is not None:
        return {
            "purpose": "suspension",
            "url": base_url + issued.suspension_list.url_path,
            "index": issued.suspension_index,
        }
    return None


@router.get("/console/{slug}/credentials/{short_id}", response_class=HTMLResponse)
def detail(request: Request, session: DbSession, access: Viewer, short_id: str) -> HTMLResponse:
    issued = _find(session, access.org, short_id)
    document = issued.document
    return console_page(
        request,
        access,
        "console/credential.html",
        "credentials",
        {
            "title": str(document.get("name") or "Credential"),
            "issued": issued,
            "short_id": _short(issued.credential_id),
            "document": document,
            "json": json.dumps(document, indent=2, ensure_ascii=False),
            "actions": _actions(issued),
            "status_entry": _status_entry(issued, settings_of(request).base_url),
            "action_labels": _ACTIONS,
        },
    )


@router.get("/console/{slug}/credentials/{short_id}/credential.json")
def download(session: DbSession, access: Viewer, short_id: str) -> Response:
    """The signed credential exactly as issued (the stored bytes)."""
    issued = _find(session, access.org, short_id)
    return Response(
        issued.credential_bytes,
        media_type="application/vc+ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="{_short(issued.credential_id)}.json"',
            "Cache-Control": "no-store",
        },
    )


def _confirm_page(
    request: Request,
    access: OrgAccess,
    issued: IssuedCredential,
    action: str,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    verb, _ = _ACTIONS[action]
    return console_page(
        request,
        access,
        "console/status_confirm.html",
        "credentials",
        {
            "title": f"{verb} this credential?",
            "issued": issued,
            "short_id": _short(issued.credential_id),
            "action": action,
            "verb": verb,
            "reason": reason,
            "reason_required": action != "unsuspend",
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _action(action: str) -> str:
    if action not in _ACTIONS:
        raise WebError(404, "Not found", "There is no such page.", code="not_found")
    return action


@router.get("/console/{slug}/credentials/{short_id}/{action}", response_class=HTMLResponse)
def confirm_status(
    request: Request, session: DbSession, access: Issuer, short_id: str, action: str
) -> HTMLResponse:
    """Ask for the reason, and for confirmation."""
    issued = _find(session, access.org, short_id)
    return _confirm_page(request, access, issued, _action(action))


@router.post(
    "/console/{slug}/credentials/{short_id}/{action}",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def change(
    request: Request, session: DbSession, access: Issuer, short_id: str, action: str, form: Form
) -> Response:
    """Revoke, suspend or unsuspend; the status list shows it on its next fetch."""
    action = _action(action)
    issued = _find(session, access.org, short_id)
    raw = form.get("reason")
    reason = raw.strip() if isinstance(raw, str) else ""
    errors: dict[str, str] = {}
    if action != "unsuspend" and not reason:
        errors["reason"] = "Give the reason: it is kept in the audit log and shown to the learner."
    elif len(reason) > 1000:
        errors["reason"] = "At most 1000 characters."
    if not errors:
        try:
            with savepoint(session):
                change_status(
                    session,
                    access.org,
                    issued.credential_id,
                    action,
                    reason=reason or None,
                    actor=actor_of(access),
                )
        except (StatusConflict, InvalidInput) as exc:
            session.refresh(issued)
            errors["_form"] = exc.message
            return _confirm_page(
                request, access, issued, action, reason=reason, errors=errors, status_code=409
            )
    if errors:
        return _confirm_page(
            request, access, issued, action, reason=reason, errors=errors, status_code=422
        )
    done = _ACTIONS[action][1]
    return redirect(
        f"/console/{access.org.slug}/credentials/{_short(issued.credential_id)}?done={done}"
    )
