"""OpenAPI models of the sign-in, account, user, role and API token routes' answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta, PagedMeta
from sonic_cms.api.models.representations import ApiToken, NewApiToken, User


class SignedIn(BaseModel):
    """A new session: the tokens are also set as HttpOnly cookies."""

    user: User
    token: str = Field(description="The access token (a JWT): `Authorization: Bearer <token>`")
    refresh_token: str
    expires_in: int = Field(description="Seconds the access token lives")


class Refreshed(BaseModel):
    """A rotated session: a new access and refresh token."""

    token: str
    refresh_token: str
    expires_in: int


class Me(BaseModel):
    """``{"user": ...}``."""

    user: User


class UserEnvelope(BaseModel):
    """One user."""

    data: User


class UserList(BaseModel):
    """A page of users."""

    data: list[User]
    meta: PagedMeta


class Provisioning(BaseModel):
    """The otpauth:// URI to scan: the only time the secret is shown."""

    provisioning_uri: str


class ProvisioningEnvelope(BaseModel):
    """``POST /auth/2fa/enroll``."""

    data: Provisioning


class TwoFactorState(BaseModel):
    """Whether two-factor authentication is on."""

    two_factor_enabled: bool


class TwoFactorEnvelope(BaseModel):
    """``POST /auth/2fa/confirm`` and ``/disable``."""

    data: TwoFactorState


class Session(BaseModel):
    """A live sign-in session (never its tokens)."""

    id: str
    created_at: int
    expires_at: int
    last_used_at: int | None
    user_agent: str | None
    ip_address: str | None
    current: bool = Field(description="The session this request belongs to")


class SessionList(BaseModel):
    """``GET /auth/sessions``."""

    data: list[Session]
    meta: CountMeta


class Revoked(BaseModel):
    """What was revoked."""

    id: str
    revoked: bool


class RevokedEnvelope(BaseModel):
    """A revoked session or token."""

    data: Revoked


class Valid(BaseModel):
    """A token that is still usable."""

    valid: bool


class ValidEnvelope(BaseModel):
    """``GET /auth/reset-password``."""

    data: Valid


class Invitation(BaseModel):
    """Who an invitation is for."""

    email: str
    firstName: str  # noqa: N815 - the User representation's names
    lastName: str  # noqa: N815
    role: str
    username: str


class InvitationEnvelope(BaseModel):
    """``GET /auth/accept-invitation``."""

    data: Invitation


class EmailVerified(BaseModel):
    """A confirmed address."""

    email_verified: bool


class EmailVerifiedEnvelope(BaseModel):
    """``GET /auth/verify-email``."""

    data: EmailVerified


class UserDeleted(BaseModel):
    """A deleted user."""

    id: str
    deleted: bool


class UserDeletedEnvelope(BaseModel):
    """``DELETE /admin/api/users/{id}``."""

    data: UserDeleted


class SessionsRevoked(BaseModel):
    """A user signed out everywhere."""

    id: str
    sessions_revoked: bool


class SessionsRevokedEnvelope(BaseModel):
    """``POST /admin/api/users/{id}/revoke-sessions``."""

    data: SessionsRevoked


class TwoFactorReset(BaseModel):
    """A user's 2FA turned off."""

    id: str
    two_factor_enabled: bool


class TwoFactorResetEnvelope(BaseModel):
    """``POST /admin/api/users/{id}/reset-2fa``."""

    data: TwoFactorReset


class Permission(BaseModel):
    """A permission and the roles holding it."""

    id: str
    name: str
    description: str | None
    category: str
    roles: list[str]


class PermissionList(BaseModel):
    """``GET /admin/api/permissions``."""

    data: list[Permission]
    meta: CountMeta


class RoleMatrix(BaseModel):
    """Each role with the names of its permissions."""

    data: dict[str, list[str]]


class Grant(BaseModel):
    """A grant or revocation; ``changed`` is false when it was already so."""

    role: str
    permission: str
    granted: bool
    changed: bool


class GrantEnvelope(BaseModel):
    """``POST``/``DELETE`` on ``/admin/api/roles/{role}/permissions``."""

    data: Grant


class NewApiTokenEnvelope(BaseModel):
    """``POST /api/tokens``."""

    data: NewApiToken


class ApiTokenList(BaseModel):
    """``GET /api/tokens``."""

    data: list[ApiToken]
    meta: CountMeta
