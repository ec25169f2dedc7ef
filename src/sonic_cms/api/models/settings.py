"""OpenAPI models of ``/admin/api/settings`` (the site settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SiteSettingsDoc(BaseModel):
    """The site settings in effect: each saved value, else its default."""

    site_name: str = Field(description="Default `sonic-cms` (SonicJS: general.siteName)")
    site_description: str = Field(description="Default empty (general.siteDescription)")
    timezone: str = Field(description="IANA time zone; default UTC (general.timezone)")
    registration_enabled: bool = Field(
        description="Whether `POST /auth/register` creates accounts: the saved value wins; "
        "unsaved, `SONIC_REGISTRATION_ENABLED` decides (security.registrationEnabled)"
    )
    maintenance_mode: bool = Field(
        description="On: 503 with Retry-After to all but holders of settings.update, except "
        "health and sign-in routes (general.maintenanceMode)"
    )
    saved: list[str] = Field(
        description="The settings that hold a saved value; the others have their defaults"
    )


class SiteSettingsEnvelope(BaseModel):
    """``{"data": settings}``."""

    data: SiteSettingsDoc
