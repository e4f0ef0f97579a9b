"""Credentials and verification reports for humans: view models, built by pure functions.

Nothing here does I/O, reads a clock or trusts its input: documents come from anywhere
(pasted, uploaded, shared), so every field is read defensively, strings are capped, lists
are bounded, links are kept only when they are ``http(s)://`` and images only when they
are ``data:image/...`` (the page policy allows no other images).

Building the models
-------------------
- :func:`credential_view` (document, report=..., nested=...) -> :class:`CredentialView`:
  issuer (with the trust registry's verdict taken from ``report``'s ``trust`` check),
  subject (name and identifier *kinds*; a hashed identity never shows its hash),
  achievement, results (with their result description / rubric level), skills (alignments
  grouped by framework), evidence, dates, embedded endorsements, and for a CLR its
  credentials and associations. ``nested`` maps the id of an embedded credential (an
  endorsement, a CLR's credential) to its own verification report, when the caller
  verified it; see :func:`nested_credentials`.
- :func:`report_view` (report, proofs=...) -> :class:`ReportView`: an overall
  :class:`Verdict` and one :class:`CheckRow` per area (signature, issuer, status,
  validity dates, schema, format; the holder for a presentation), each ``pass`` /
  ``fail`` / ``warning`` / ``skipped`` with a plain-language sentence. "Status
  unavailable" is a warning and never reads as "revoked".

Jinja components (for the verify page, the share-link page, the learner's record)
---------------------------------------------------------------------------------
``components/checks.html``::

    {% from "components/checks.html" import verdict, checks %}
    {{ verdict(report_view) }}            {# role="status" box; verdict(rv, live=False) #}
    {{ checks(report_view, level=2) }}    {# heading + list of CheckRow #}

``components/credential.html``::

    {% from "components/credential.html" import credential, credential_summary %}
    {{ credential(credential_view, level=2) }}   {# full rendering, headings from h<level> #}
    {{ credential_summary(credential_view) }}    {# one card: name, issuer, date, verdict #}

Both take only these view models (``level`` is the heading level of the component's own
heading, so it fits into any page outline). Templates format dates with the ``date``
filter of :mod:`openler.web.templating`; dates in the models are ISO 8601 strings.
"""

from openler.web.present._credential import credential_view, nested_credentials
from openler.web.present._models import (
    AchievementView,
    AlignmentView,
    AssociationView,
    CheckRow,
    ClaimView,
    CredentialView,
    EndorsementView,
    EvidenceView,
    FrameworkGroup,
    IdentifierView,
    ImageView,
    IssuerView,
    NestedVerdict,
    ProofInfo,
    ReportView,
    ResultView,
    SubjectView,
    TrustView,
    Verdict,
)
from openler.web.present._read import human_date, humanize
from openler.web.present._report import nested_verdict, proofs_of, report_view

__all__ = [
    "AchievementView",
    "AlignmentView",
    "AssociationView",
    "CheckRow",
    "ClaimView",
    "CredentialView",
    "EndorsementView",
    "EvidenceView",
    "FrameworkGroup",
    "IdentifierView",
    "ImageView",
    "IssuerView",
    "NestedVerdict",
    "ProofInfo",
    "ReportView",
    "ResultView",
    "SubjectView",
    "TrustView",
    "Verdict",
    "credential_view",
    "human_date",
    "humanize",
    "nested_credentials",
    "nested_verdict",
    "proofs_of",
    "report_view",
]
