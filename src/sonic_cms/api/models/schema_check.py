"""OpenAPI models of ``POST /admin/api/collections/{id}/schema/check``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One failing field: ``{path, message}``."""

    path: str
    message: str


class SchemaCheckBody(BaseModel):
    """The proposed schema, as ``PATCH /admin/api/collections/{id}`` would take it."""

    model_config = ConfigDict(extra="forbid")

    schema_: dict[str, Any] = Field(alias="schema", description="A SonicJS collection schema")


class SchemaCheckFailure(BaseModel):
    """One item that would not save under the proposed schema, with its first errors."""

    id: str
    title: str | None
    errors: list[FieldProblem] = Field(description="At most 5, paths data.* as a write names them")


class UndeclaredKey(BaseModel):
    """A key of stored data the proposed schema does not declare, and how many items hold it."""

    key: str
    items: int


class SchemaCheck(BaseModel):
    """What the dry run found; nothing was written."""

    checked: int = Field(description="Items validated (all of the collection's)")
    failed: int = Field(description="Items that an unchanged update would have refused")
    failures: list[SchemaCheckFailure] = Field(description="The first 20 failing items, by id")
    undeclared: list[UndeclaredKey] = Field(
        description="Keys kept but not declared (not failures: an update keeps them)"
    )


class SchemaCheckEnvelope(BaseModel):
    """``{"data": SchemaCheck}``."""

    data: SchemaCheck
