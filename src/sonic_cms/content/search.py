"""Full-text search over titles and the string values of ``data``, with ranking.

One call, two engines: SQLite's FTS5 table ``content_fts`` (kept in sync by triggers, revision
0002) and PostgreSQL's weighted tsvector per item, stored in ``content_fts_vectors`` by a trigger
and indexed with GIN (revision 0007). Both fold case and accents (``creme`` finds "Crème"):
FTS5's unicode61 tokenizer removes diacritics, and PostgreSQL's ``sonic_search`` configuration
runs ``unaccent`` before ``simple`` (revision 0008). The user's text is parsed into words,
quoted phrases and ``word*`` prefixes; only letters and digits survive into the engine's query
syntax, and that query is a bound parameter, never SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Float,
    Select,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql import Subquery

from sonic_cms.errors import BadRequest

MAX_TERMS = 12
#: PostgreSQL's text search configuration: ``simple`` with ``unaccent`` first (revision 0008),
#: so case and accents fold as SQLite's FTS5 tokenizer folds them.
PG_SEARCH_CONFIG = "sonic_search"
_TOKEN = re.compile(r'"([^"]*)"|(\w+)(\*?)')
_WORD = re.compile(r"\w+")


#: The FTS5 document text of a content row: the string values of ``data``. The same expression as
#: the triggers of revision 0002 (tests/content/test_content_bulk.py checks both give one index).
SQLITE_BODY = "(SELECT group_concat(value, ' ') FROM json_tree(content.data) WHERE type = 'text')"
FTS_INSERT_TRIGGER = "content_fts_insert"


@dataclass(frozen=True)
class Term:
    """A word, a phrase (several words in order) or a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


def parse_search(raw: str, max_length: int) -> list[Term]:
    """Words, "quoted phrases" and prefix* terms; 400 when nothing searchable remains."""
    if len(raw) > max_length:
        raise BadRequest(
            f"search is longer than {max_length} characters",
            code="invalid_search",
            details=[{"path": "search", "message": f"at most {max_length} characters"}],
        )
    terms: list[Term] = []
    for match in _TOKEN.finditer(raw.casefold()):
        phrase, word, star = match.groups()
        if phrase is not None:
            words = tuple(_WORD.findall(phrase))
            if words:
                terms.append(Term(words))
        elif word:
            terms.append(Term((word,), prefix=bool(star)))
    if not terms:
        raise BadRequest(
            "search has no words to look for",
            code="invalid_search",
            details=[{"path": "search", "message": "give at least one word"}],
        )
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term]) -> str:
    """FTS5 MATCH syntax: every term quoted, so FTS operators in the input mean nothing."""
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.words) + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " ".join(parts)


def tsquery(terms: list[Term]) -> str:
    """PostgreSQL to_tsquery syntax: words quoted, phrases with <->, prefixes with :*."""
    parts = []
    for term in terms:
        words = [f"'{w}'" for w in term.words]
        if term.prefix:
            words[-1] += ":*"
        parts.append(words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")")
    return " & ".join(parts)


def search_subquery(dialect: str, terms: list[Term]) -> Subquery:
    """``(content_id, rank)`` of matching items; a larger rank is a better match."""
    query: Select[tuple[str, float]]
    if dialect == "postgresql":
        config = text(f"'{PG_SEARCH_CONFIG}'::regconfig")
        ts = func.to_tsquery(config, bindparam("search_q", tsquery(terms)))
        vector: ColumnElement[Any] = literal_column("content_fts_vectors.document")
        query = (
            select(
                literal_column("content_fts_vectors.content_id").label("content_id"),
                func.ts_rank(vector, ts, type_=Float).label("rank"),
            )
            .select_from(text("content_fts_vectors"))
            .where(vector.op("@@")(ts))
        )
        return query.subquery("search_hits")
    match: BindParameter[str] = bindparam("search_q", fts5_query(terms))
    query = (
        select(
            literal_column("content_fts_ids.content_id").label("content_id"),
            (-func.bm25(literal_column("content_fts"), 10.0, 1.0, type_=Float)).label("rank"),
        )
        .select_from(
            text("content_fts JOIN content_fts_ids ON content_fts_ids.rowid = content_fts.rowid")
        )
        .where(literal_column("content_fts").op("MATCH")(match))
    )
    return query.subquery("search_hits")


def index_new_items(conn: Connection, item_ids: list[str]) -> None:
    """Add freshly inserted content rows to the SQLite FTS5 index, as one set.

    The bulk path inserts with the per-row trigger dropped (in its own transaction): FTS5 flushes
    its pending terms at every statement savepoint, so a trigger writes one tiny segment per row
    and then merges them, about five times the work of indexing the batch in one statement.
    """
    before = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM content_fts_ids").scalar()
    conn.exec_driver_sql(
        "INSERT INTO content_fts_ids (content_id) VALUES (?)", [(i,) for i in item_ids]
    )
    conn.exec_driver_sql(
        "INSERT INTO content_fts (rowid, title, body) "
        f"SELECT i.rowid, content.title, {SQLITE_BODY} FROM content_fts_ids i "
        "JOIN content ON content.id = i.content_id WHERE i.rowid > ? ORDER BY i.rowid",
        (before,),
    )
