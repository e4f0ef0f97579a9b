"""Exports of a learner's record: one credential, a CLR 2.0 bundle, a PDF résumé.

- :func:`credential_export`: one credential of the record, **exactly the bytes stored**
  (JSON, or the compact JWS of a VC-JWT), so its proof still verifies anywhere.
- :func:`clr_bundle`: the learner's credentials (default: every verified one) — each an
  issuer's ``OpenBadgeCredential`` / ``AchievementCredential`` or ``ClrCredential`` with its
  own proof untouched — in a VC 2.0 ``VerifiablePresentation`` whose ``holder`` is the
  learner's ``did:key`` and whose proof (``eddsa-rdfc-2022``, purpose ``authentication``,
  an optional verifier challenge and domain) is made with the learner's holder key.

  Why a presentation and not a ``ClrCredential`` signed by the learner: a credential's
  issuer vouches for what it says, and in a ClrCredential the issuer asserts the
  learner's achievements. A learner cannot be the issuer of other organizations'
  achievements; a ClrCredential they signed would be a self-assertion that verifiers
  should not trust. In a presentation each achievement stays asserted by its own issuer
  (each embedded credential verifies on its own, as a CLR 2.0 ``verifiableCredential``
  entry would), and the holder's proof only binds the bundle to the learner's key (and,
  when given, to one verifier's challenge).
- :func:`resume_pdf`: a one-page PDF (reportlab, US Letter): the learner's name, their
  verified credentials, a skills summary from verified evidence only, their employment
  history (employer-issued credentials marked *verified*, the learner's own entries
  marked *self-asserted*), and a QR code (segno, drawn as vector squares) of a share link
  whose landing page verifies everything live. Long lists are cut with "… and N more"
  rather than spilling onto a second page. Text outside Windows-1252 (the PDF standard
  fonts' encoding) is shown as ``?``.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import segno
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core import create_presentation, sign_presentation
from openler.core.errors import InvalidInput
from openler.services.employment import (
    EmploymentItem,
    employment_from_credential,
    employment_history,
)
from openler.services.keystore import KeyStore
from openler.services.learners import holder_did, holder_signer
from openler.services.record import (
    LearnerRecord,
    RecordItem,
    get_record_item,
    learner_record,
    record_items,
)
from openler.services.sharing import (
    ShareExpired,
    ShareRevoked,
    ShareUnavailable,
    get_share,
    share_state,
    share_url,
)
from openler.services.skills_profile import skills_profile_of
from openler.store.models import User

__all__ = [
    "CLR_BUNDLE_MEDIA_TYPE",
    "PDF_MEDIA_TYPE",
    "Export",
    "clr_bundle",
    "credential_export",
    "resume_pdf",
]

CLR_BUNDLE_MEDIA_TYPE: Final = "application/vp"
PDF_MEDIA_TYPE: Final = "application/pdf"
_MEDIA_TYPES: Final = {"json": "application/vc", "jwt": "application/vc+jwt"}
_MAX_BUNDLE: Final = 100


@dataclass(frozen=True, slots=True)
class Export:
    """A file to hand to the learner: its bytes, media type and a suggested file name."""

    content: bytes
    media_type: str
    filename: str


def _slug(text: str | None, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").casefold()).strip("-")[:60]
    return slug or fallback


def credential_export(session: Session, user: User, key: str, *, now: datetime) -> Export:
    """One credential of the learner's record, byte for byte as stored. ``not_found``
    for a key that is not in the learner's record."""
    item = get_record_item(session, user, key, now=now)
    extension = "json" if item.format == "json" else "jwt"
    name = _slug(item.summary.name, "credential")
    return Export(item.credential_bytes, _MEDIA_TYPES[item.format], f"{name}.{extension}")


def _embedded(item: RecordItem) -> dict[str, Any] | str:
    if item.format == "jwt":
        return item.text().strip()
    value = json.loads(item.credential_bytes)
    if not isinstance(value, dict):
        raise InvalidInput("A credential of the record is not a JSON object.")
    return value


def clr_bundle(
    session: Session,
    keystore: KeyStore,
    user: User,
    keys: Sequence[str] | None = None,
    *,
    now: datetime,
    challenge: str | None = None,
    domain: str | None = None,
) -> Export:
    """The learner-assembled bundle (see the module docstring) of the record items named
    by ``keys`` (default: every verified one), as JSON."""
    if keys is None:
        items = list(learner_record(session, user, now=now).verified_items)
    else:
        items = record_items(session, user, list(keys), now=now)
    if not items:
        raise InvalidInput("There are no verified credentials to export yet.")
    if len(items) > _MAX_BUNDLE:
        raise InvalidInput(f"A bundle holds at most {_MAX_BUNDLE} credentials.")
    did = holder_did(session, user)
    presentation = create_presentation(
        [_embedded(item) for item in items],
        holder=did,
        presentation_id=f"urn:uuid:{uuid.uuid4()}",
    )
    who = user.display_name or user.email
    presentation["name"] = f"Learner record of {who}"
    presentation["description"] = (
        "Credentials assembled by their holder; each keeps its issuer's proof."
    )
    signed = sign_presentation(
        presentation,
        holder_signer(session, keystore, user),
        challenge=challenge,
        domain=domain,
        created=now,
    )
    data = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Export(data, CLR_BUNDLE_MEDIA_TYPE, f"learner-record-{now:%Y-%m-%d}.json")


# -- the résumé ------------------------------------------------------------------------------

_PAGE_WIDTH, _PAGE_HEIGHT = letter
_MARGIN: Final = 54.0
_QR_SIZE: Final = 96.0
_FOOTER: Final = 64.0  # kept free at the bottom for the verification note
_BODY = ("Helvetica", 10.0, 13.0)
_SMALL = ("Helvetica", 8.5, 11.0)
_BOLD = ("Helvetica-Bold", 10.0, 13.0)
_HEADING = ("Helvetica-Bold", 12.5, 20.0)
_MAX_CREDENTIALS: Final = 12
_MAX_SKILL_LINES: Final = 8
_MAX_JOBS: Final = 6


def _latin(text: str) -> str:
    """Text the standard PDF fonts can show (Windows-1252); anything else becomes ``?``."""
    return text.encode("cp1252", "replace").decode("cp1252")


def _month(day: date | datetime | None) -> str:
    return f"{day:%b %Y}" if day is not None else "?"


class _Page:
    """One page, written top-down; refuses lines that would run into the footer."""

    def __init__(self, canvas: Canvas, top: float, width: float) -> None:
        self.canvas = canvas
        self.y = top
        self.width = width

    def room(self, lines: int = 1, leading: float = _BODY[2]) -> bool:
        return self.y - lines * leading >= _FOOTER + _MARGIN

    def line(self, text: str, style: tuple[str, float, float] = _BODY, indent: float = 0) -> bool:
        font, size, leading = style
        if not self.room(1, leading):
            return False
        self.canvas.setFont(font, size)
        self.canvas.drawString(_MARGIN + indent, self.y - size, _latin(text))
        self.y -= leading
        return True

    def paragraph(
        self,
        text: str,
        style: tuple[str, float, float] = _BODY,
        indent: float = 0,
        max_lines: int = 3,
    ) -> bool:
        font, size, _ = style
        lines = simpleSplit(_latin(text), font, size, self.width - indent)
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip() + " …"]
        return all(self.line(text_line, style, indent) for text_line in lines)

    def heading(self, text: str) -> bool:
        if not self.room(3, _BODY[2]):  # a heading alone at the bottom helps nobody
            return False
        self.y -= 6
        return self.line(text, _HEADING)


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    code = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(border=0)]
    cell = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _credential_line(item: RecordItem) -> str:
    summary = item.summary
    name = summary.name or summary.achievement_name or "Credential"
    issuer = summary.issuer_name or summary.issuer_id or "unknown issuer"
    when = f", {summary.valid_from:%b %Y}" if summary.valid_from else ""
    return f"{name} — {issuer}{when}"


def _job_lines(job: EmploymentItem) -> tuple[str, str]:
    end = _month(job.end_date) if job.end_date else "present"
    title = f"{job.role} — {job.employer} ({_month(job.start_date)} – {end})"
    if job.self_asserted:
        return title, "Self-asserted (the learner's own statement, not verified)"
    return title, "Verified: issued by the employer"


def _more(page: _Page, hidden: int) -> None:
    if hidden > 0:
        page.line(f"… and {hidden} more not shown here", _SMALL, indent=12)


def _credentials_section(page: _Page, record: LearnerRecord) -> None:
    verified = [i for i in record.verified_items if not _is_employment(i)]
    if not page.heading("Verified credentials"):
        return
    if not verified:
        page.line("None yet.", _SMALL, indent=12)
    shown = 0
    for item in verified[:_MAX_CREDENTIALS]:
        if not page.paragraph("• " + _credential_line(item), indent=12, max_lines=2):
            break
        shown += 1
    _more(page, len(verified) - shown)


def _is_employment(item: RecordItem) -> bool:
    document = item.document()
    return document is not None and employment_from_credential(document) is not None


def _skills_section(page: _Page, record: LearnerRecord) -> None:
    profile = skills_profile_of(record)
    if not page.heading("Skills (from verified credentials)"):
        return
    if not profile.skills:
        page.line("No skills aligned to verified credentials yet.", _SMALL, indent=12)
        return
    lines_left = _MAX_SKILL_LINES
    hidden = 0
    for framework in profile.frameworks:
        names = ", ".join(skill.name for skill in framework.skills)
        text = f"{framework.name}: {names}"
        if lines_left <= 0 or not page.paragraph(text, _SMALL, indent=12, max_lines=2):
            hidden += len(framework.skills)
            continue
        lines_left -= 2
    if hidden:
        _more(page, hidden)


def _employment_section(page: _Page, jobs: list[EmploymentItem]) -> None:
    if not page.heading("Employment"):
        return
    if not jobs:
        page.line("No employment recorded.", _SMALL, indent=12)
    shown = 0
    for job in jobs[:_MAX_JOBS]:
        title, mark = _job_lines(job)
        if not page.room(2):
            break
        page.paragraph(title, _BOLD, indent=12, max_lines=1)
        page.line(mark, _SMALL, indent=24)
        if job.description:
            page.paragraph(job.description, _SMALL, indent=24, max_lines=1)
        shown += 1
    _more(page, len(jobs) - shown)


def resume_pdf(
    session: Session,
    settings: Settings,
    user: User,
    share_id: uuid.UUID | str,
    *,
    now: datetime,
) -> Export:
    """A one-page PDF résumé of the learner (see the module docstring) whose QR code
    leads to the learner's share ``share_id`` (theirs, and active: ``not_found``,
    ``share_expired`` or ``share_revoked`` otherwise). The résumé shows the record as
    of ``now``; the share link shows it live."""
    share = get_share(session, user, share_id)
    state = share_state(share, now)
    if state != "active":
        error: type[ShareUnavailable] = ShareRevoked if state == "revoked" else ShareExpired
        raise error(f"The share for the résumé's QR code is {state}; choose an active one.")
    url = share_url(settings, share)
    record = learner_record(session, user, now=now)
    # Employment credentials that do not verify (revoked, …) have no place on a résumé.
    jobs = [
        job
        for job in employment_history(session, user, now=now, record=record)
        if job.self_asserted or job.verified
    ]
    name = user.display_name or user.email

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=True, pageCompression=0)
    canvas.setTitle(_latin(f"Résumé of {name}"))
    canvas.setAuthor(_latin(name))
    canvas.setSubject("Learner record with verified credentials")
    canvas.setCreator("openler")

    top = _PAGE_HEIGHT - _MARGIN
    qr_x = _PAGE_WIDTH - _MARGIN - _QR_SIZE
    _draw_qr(canvas, url, qr_x, top - _QR_SIZE, _QR_SIZE)
    canvas.setFont(*_SMALL[:2])
    canvas.drawCentredString(qr_x + _QR_SIZE / 2, top - _QR_SIZE - 11, "Scan to verify live")

    header = _Page(canvas, top, qr_x - _MARGIN - 12)
    header.paragraph(name, ("Helvetica-Bold", 20.0, 24.0), max_lines=2)
    header.line(f"Learner record as of {now:%B %d, %Y}", _SMALL)
    header.line("Credentials and employment marked verified are checked live at:", _SMALL)
    header.paragraph(url, _SMALL, max_lines=2)

    page = _Page(canvas, min(header.y, top - _QR_SIZE - 20), _PAGE_WIDTH - 2 * _MARGIN)
    _credentials_section(page, record)
    _skills_section(page, record)
    _employment_section(page, jobs)

    canvas.setFont(*_SMALL[:2])
    footer = [
        f"Verify online: {url} (link valid until {share.expires_at:%B %d, %Y}).",
        "Self-asserted entries are the learner's own statements; they are not verified.",
    ]
    for n, text in enumerate(footer):
        canvas.drawString(_MARGIN, _MARGIN + 12 - n * 11, _latin(text)[:140])
    canvas.showPage()
    canvas.save()
    filename = f"resume-{_slug(name, 'learner')}.pdf"
    return Export(out.getvalue(), PDF_MEDIA_TYPE, filename)
