"""The one rule for query parameters a caller may not send: every unknown one is named.

It sits below the domains so that the content list (which parses its own query language in
the service) and the API's routes answer an unknown parameter alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from sonic_cms.errors import BadRequest

#: How much of a parameter's name an error quotes (names are caller input, of any length).
_QUOTED = 60


def reject_unknown(
    given: Iterable[str], allowed: Iterable[str], *, also: Iterable[str] = ()
) -> None:
    """Raise a 400 ``unknown_parameter`` naming each of ``given`` outside ``allowed``; the
    details list what is allowed (``also``: families described rather than listed, such as
    ``filter[<field>][<op>]``)."""
    permitted = frozenset(allowed)
    unknown = sorted({name[:_QUOTED] for name in given if name not in permitted})
    if not unknown:
        return
    hint = "allowed: " + ", ".join([*sorted(permitted), *also])
    raise BadRequest(
        f"Unknown query parameter(s): {', '.join(unknown)}",
        code="unknown_parameter",
        details=[{"path": name, "message": f"unknown parameter; {hint}"} for name in unknown],
    )
