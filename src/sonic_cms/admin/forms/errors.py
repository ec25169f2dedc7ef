"""The service's 422 paths -> the inputs they belong to.

A view's name is its path (``data.links.1.url``; ``title``, ``slug``), the same spelling the
content service uses in ``details[].path``, so mapping is a lookup. A path no input has (the
whole ``data``, a key the schema does not declare) becomes a form-level message, so no problem
is ever silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sonic_cms.admin.forms.build import walk
from sonic_cms.admin.forms.views import FieldView


def attach_errors(views: list[FieldView], problems: Iterable[Mapping[str, str]]) -> list[str]:
    """Put each problem on the view named by its path; return the messages of the others."""
    by_name = {view.name: view for view in walk(views)}  # an input wins over its entry
    unplaced: list[str] = []
    for problem in problems:
        path, message = str(problem.get("path", "")), str(problem.get("message", ""))
        view = by_name.get(path)
        if view is None:
            unplaced.append(f"{path}: {message}" if path else message)
        else:
            view.error = f"{view.error}; {message}" if view.error else message
    return unplaced


def keep_typed(views: list[FieldView], raw: Mapping[str, str]) -> None:
    """Show back what the user typed into inputs that did not parse (bad JSON, a non-number)."""
    for view in walk(views):
        if view.name in raw:
            view.text = raw[view.name]
