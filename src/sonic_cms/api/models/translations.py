"""OpenAPI shapes of the translation routes and of locale-aware item reads."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta


class TranslationCreate(BaseModel):
    """``POST /api/content/{id}/translations``."""

    locale: str = Field(description="BCP 47 tag of an enabled locale the item has no row in")
    title: str = Field(max_length=500)
    slug: str | None = Field(None, description="Unique in the collection and locale; generated")
    data: dict[str, object] | None = Field(
        None, description="Defaults to the item's; non-translatable fields are the group's"
    )


class Translation(BaseModel):
    """One row of a translation group."""

    id: str
    locale: str
    isSource: bool = Field(description="The default-locale row the others translate")  # noqa: N815
    title: str
    slug: str
    status: str
    version_number: int | None
    updated_at: int


class TranslationMeta(CountMeta):
    """The group and the enabled locales it has no row in."""

    group: str
    defaultLocale: str  # noqa: N815
    missing: list[str]


class TranslationList(BaseModel):
    """``GET /api/content/{id}/translations``."""

    data: list[Translation]
    meta: TranslationMeta
