"""Core Table handles for SQLAlchemy Core queries, declared once.

The ORM models in this package declare the tables; services build Core statements on their
``Table`` objects, typed as such (``Model.__table__`` is typed as a ``FromClause``).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from sonic_cms.db.schema.autosaves import ContentAutosave
from sonic_cms.db.schema.comments import Comment, ContentCommentCount
from sonic_cms.db.schema.core import Collection, Content, ContentVersion, Media, User

COLLECTIONS = cast(Table, Collection.__table__)
CONTENT = cast(Table, Content.__table__)
VERSIONS = cast(Table, ContentVersion.__table__)
MEDIA = cast(Table, Media.__table__)
USERS = cast(Table, User.__table__)
AUTOSAVES = cast(Table, ContentAutosave.__table__)
COMMENTS = cast(Table, Comment.__table__)
COMMENT_COUNTS = cast(Table, ContentCommentCount.__table__)
