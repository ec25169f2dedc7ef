"""The one rule for the fields of a request body: an unknown field is a 422 naming it, and a
field SonicJS spells differently is accepted in either spelling but never in both.

It sits below the domains so that bodies parsed into pydantic models (:class:`KnownFields`), by
the API or by a service (a profile update), and bodies that services check field by field
(content, workflow) answer alike: ``422 validation_failed`` with one detail per field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, model_validator
from pydantic.fields import FieldInfo

from sonic_cms.errors import ValidationFailed

#: How much of a field's name an error quotes (names are caller input, of any length).
_QUOTED = 60


def unknown_field_details(given: Iterable[str], allowed: Iterable[str]) -> list[dict[str, str]]:
    """One detail per name of ``given`` outside ``allowed``, listing what is allowed."""
    permitted = frozenset(allowed)
    hint = "unknown field; allowed: " + ", ".join(sorted(permitted))
    return [{"path": name[:_QUOTED], "message": hint} for name in sorted(set(given) - permitted)]


def both_spellings_details(
    body: Mapping[str, Any], spellings: Iterable[tuple[str, ...]]
) -> list[dict[str, str]]:
    """One detail per field given under more than one of its spellings, named by its first
    spelling."""
    return [
        {"path": names[0], "message": f"give {' or '.join(names)}, not both"}
        for names in spellings
        if sum(name in body for name in names) > 1
    ]


def check_fields(
    body: Mapping[str, Any],
    allowed: Iterable[str],
    spellings: Iterable[tuple[str, ...]] = (),
) -> None:
    """Raise 422 ``validation_failed`` for unknown fields and for a field given twice."""
    details = unknown_field_details(body, allowed) + both_spellings_details(body, spellings)
    if details:
        names = ", ".join(d["path"] for d in details)
        raise ValidationFailed(f"Invalid fields: {names}", details=details)


def _spellings(name: str, info: FieldInfo) -> tuple[str, ...]:
    """Every key a model field may arrive under: its name, alias and alias choices."""
    names = [name]
    if info.alias:
        names.append(info.alias)
    alias = info.validation_alias
    if isinstance(alias, str):
        names.append(alias)
    elif isinstance(alias, AliasChoices):
        names += [choice for choice in alias.choices if isinstance(choice, str)]
    return tuple(dict.fromkeys(names))


class KnownFields(BaseModel):
    """Base of every request-body model: unknown fields, and a field given in two spellings,
    are refused by :func:`check_fields` (422 naming them) before pydantic looks at the types.

    The error is raised, not returned as a pydantic error, so that a body FastAPI parses and
    one a route or service validates itself give the very same answer.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            spellings = [_spellings(n, f) for n, f in cls.model_fields.items()]
            allowed = [name for names in spellings for name in names]
            check_fields(data, allowed, [names for names in spellings if len(names) > 1])
        return data
