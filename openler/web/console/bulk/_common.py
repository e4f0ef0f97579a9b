"""What the bulk issuance pages share: constants, finding a job, labels."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from openler.core.model.vocab import IdentifierType
from openler.services.bulk import (
    BulkJobNotFound,
    get_job,
)
from openler.services.bulk.mapping import result_descriptions
from openler.store.models import ActorType, Organization, User
from openler.store.models.bulk import BulkJob
from openler.store.models.credentials import AchievementDefinition
from openler.web.templating import WebError

__all__ = [
    "CLAIMS",
    "ERROR_ROWS",
    "FIELD_LABELS",
    "FLASH",
    "IDENTIFIER_TYPES",
    "PURPOSES",
    "UNMAPPED",
    "achievement_name",
    "creators_of",
    "find_job",
    "form_text",
    "header_key",
    "is_unmapped",
    "job_url",
    "label_map",
]

#: The ``identifierType`` of the placeholder mapping of a roster staged unmapped (see the
#: package docstring).
UNMAPPED: Final = "ext:openlerUnmapped"
#: Rows of problems shown on the validation report (the CSV has them all).
ERROR_ROWS: Final = 50
#: The job options an upload offers (JobOptions.claims, JobOptions.status_purpose).
CLAIMS: Final = {
    "email": "E-mail each learner a claim link (rows with an e-mail address)",
    "link": "Only put the claim links in the result report (hand them out yourself)",
    "none": "No claim links",
}
PURPOSES: Final = {
    "revocation": "Can be revoked",
    "suspension": "Can be suspended and reinstated, or revoked (licences)",
}
#: What a roster column can hold, as the mapping page names it.
FIELD_LABELS: Final[Mapping[str, str]] = {
    "recipientEmail": "Recipient's e-mail address",
    "recipientIdentifier": "Recipient's identifier (e.g. student number)",
    "recipientDid": "Recipient's DID",
    "recipientName": "Recipient's name",
    "evidenceUrl": "Evidence URL",
    "activityStartDate": "Activity start date",
    "activityEndDate": "Activity end date",
    "validUntil": "Valid until",
    "narrative": "Narrative for this learner",
}
#: Identifier types offered for a column of recipient identifiers.
IDENTIFIER_TYPES: Final = tuple(
    t.value
    for t in IdentifierType
    if t
    not in (
        IdentifierType.NAME,
        IdentifierType.EMAIL_ADDRESS,
        IdentifierType.ISBN,
        IdentifierType.ISSN,
    )
)
#: What a page says after a change (``?done=<key>``).
FLASH: Final = {
    "mapped": "Every row was checked again with the new mapping.",
    "started": "The job started: the workers issue its rows in chunks.",
    "cancelled": "The job was cancelled. Credentials issued so far stay issued.",
    "discarded": "The upload was discarded; nothing was issued.",
    "resumed": "The job resumed from where it stopped.",
}


def form_text(form: FormData, name: str, limit: int = 200) -> str:
    """A submitted text field, trimmed and capped (empty when missing)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def find_job(session: Session, org: Organization, job_id: str) -> BulkJob:
    """The organization's job, or the 404 page (another organization's job included)."""
    try:
        return get_job(session, org, job_id[:64])
    except BulkJobNotFound:
        raise WebError(
            404, "Not found", "There is no such bulk job in this organization.", code="not_found"
        ) from None


def is_unmapped(job: BulkJob) -> bool:
    """Whether the roster was staged under the placeholder mapping (nothing mapped yet)."""
    return job.mapping.get("identifierType") == UNMAPPED


def job_url(org: Organization, job: BulkJob, tail: str = "") -> str:
    return f"/console/{org.slug}/bulk/{job.id}{tail}"


def achievement_name(definition: AchievementDefinition) -> str:
    return str(definition.achievement.get("name") or definition.logical_id)


def label_map(definition: AchievementDefinition) -> dict[str, str]:
    """Field names and result description ids as people read them."""
    labels = {**FIELD_LABELS, "recipient": "Recipient", "row": "Row"}
    for d in result_descriptions(definition.achievement):
        labels[str(d["id"])] = f"Result: {d.get('name') or d['id']}"
    return labels


def creators_of(session: Session, jobs: Sequence[BulkJob]) -> dict[uuid.UUID, str]:
    """Who created each job: a person's e-mail address, else the kind of actor."""
    ids = {}
    for job in jobs:
        if job.created_by_type == ActorType.USER.value and job.created_by_id:
            try:
                ids[job.id] = uuid.UUID(job.created_by_id)
            except ValueError:
                continue
    emails = dict(
        session.execute(sa.select(User.id, User.email).where(User.id.in_(set(ids.values())))).all()
        if ids
        else []
    )
    kinds = {"api_client": "an API client", "api_key": "an API key", "system": "the system"}
    return {
        job.id: emails.get(ids[job.id], "a former member")
        if job.id in ids
        else kinds.get(job.created_by_type, job.created_by_type)
        for job in jobs
    }


def header_key(name: str) -> str:
    """A header as the mapping compares it (case and spacing ignored)."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())
