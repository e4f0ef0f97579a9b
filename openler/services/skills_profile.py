"""The learner's skills profile: :func:`openler.core.skills.build_skills_profile` fed with
the learner's record.

Only credentials the record shows as ``verified`` count (an import that did not verify, a
revoked, suspended or expired credential: none of their alignments are skills).
Self-asserted employment entries never count either. Each skill's evidence names the
record item (``credential_ref`` is the record key, e.g. ``issued:<uuid>``) so a page can
link to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from openler.core.skills import HeldCredential, SkillsProfile, build_skills_profile
from openler.services.record import LearnerRecord, RecordItem, learner_record
from openler.store.models import User

__all__ = ["held_credentials", "skills_profile", "skills_profile_of"]


def held_credentials(items: Iterable[RecordItem]) -> list[HeldCredential]:
    """Record items as the core's input; items whose document cannot be read are left
    out (they have nothing to align)."""
    out = []
    for item in items:
        document = item.document()
        if document is not None:
            out.append(HeldCredential(item.key, document, item.verified))
    return out


def skills_profile_of(record: LearnerRecord) -> SkillsProfile:
    """The skills profile of a record already loaded."""
    return build_skills_profile(held_credentials(record.items))


def skills_profile(session: Session, user: User, *, now: datetime) -> SkillsProfile:
    """The learner's skills profile, from their record as of ``now``."""
    return skills_profile_of(learner_record(session, user, now=now))
