"""``/api/v1/members``: the people of the caller's organization and their roles (admin,
issuer, viewer; see :mod:`openler.services.users`). Every change is audited as
``membership.change``; the last admin can be neither demoted nor removed (409)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from openler.api.deps import DbSession, Principal, require_scope
from openler.api.platform._common import current_org, iso
from openler.services.users import (
    MIN_PASSWORD_LENGTH,
    add_member,
    change_role,
    create_user,
    find_user,
    members,
    remove_member,
)
from openler.store.models import Membership, Role

__all__ = ["router"]

router = APIRouter(prefix="/members", tags=["members"])

Admin = Annotated[Principal, Depends(require_scope("org:admin"))]


class MemberBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "registrar@college.example", "role": "issuer"}],
        },
    )

    email: str = Field(min_length=3, max_length=320)
    role: Role
    displayName: str | None = Field(default=None, max_length=200)
    password: str | None = Field(
        default=None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=1024,
        description="Only for a new user; without it the user has no password yet.",
    )


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "admin"}]})

    role: Role


def member_view(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "userId": str(user.id),
        "email": user.email,
        "displayName": user.display_name,
        "role": membership.role.value,
        "since": iso(membership.created_at),
    }


@router.get("", summary="List the organization's members")
def list_members(session: DbSession, principal: Admin) -> dict[str, Any]:
    """Every member with their role, by e-mail address."""
    org = current_org(session, principal)
    return {"items": [member_view(m) for m in members(session, org)]}


@router.post(
    "",
    status_code=201,
    summary="Add a member",
    responses={409: {"description": "The user is a member already (conflict)."}},
)
def add(
    session: DbSession, principal: Admin, body: Annotated[MemberBody, Body()]
) -> dict[str, Any]:
    """Adds the user with this e-mail address, creating the user when there is none.
    ``displayName`` and ``password`` are used only for a new user; a user created without
    a password has none until one is set (signing in comes with the web console).
    Audited as ``membership.change``."""
    org = current_org(session, principal)
    user = find_user(session, body.email)
    if user is None:
        user = create_user(
            session, email=body.email, display_name=body.displayName, password=body.password
        )
    membership = add_member(session, org, user, body.role, principal.actor)
    return member_view(membership)


@router.patch(
    "/{user_id}",
    summary="Change a member's role",
    responses={
        404: {"description": "No such member."},
        409: {"description": "It would demote the last admin."},
    },
)
def change(
    session: DbSession, principal: Admin, user_id: str, body: Annotated[RoleBody, Body()]
) -> dict[str, Any]:
    """Audited as ``membership.change`` with the old and new role."""
    org = current_org(session, principal)
    return member_view(change_role(session, org, user_id, body.role, principal.actor))


@router.delete(
    "/{user_id}",
    status_code=204,
    summary="Remove a member",
    responses={
        404: {"description": "No such member."},
        409: {"description": "It is the last admin."},
    },
)
def remove(session: DbSession, principal: Admin, user_id: str) -> Response:
    """Ends the membership; the user account stays (it may belong to other
    organizations). Audited as ``membership.change`` with ``newRole: null``."""
    org = current_org(session, principal)
    remove_member(session, org, user_id, principal.actor)
    return Response(status_code=204)
