"""Full-text search over titles and the string values of ``data``, with ranking.

One call, two engines: SQLite's FTS5 table ``content_fts`` (kept in sync by triggers, revision
0002) and PostgreSQL's weighted tsvector per item, stored in ``content_fts_vectors`` by a trigger
and indexed with GIN (revision 0007). Both fold case and accents (``creme`` finds "Crème"):
FTS5's unicode61 tokenizer removes diacritics, and PostgreSQL's ``sonic_search`` configuration
runs ``unaccent`` before ``simple`` (revision 0008). The user's text is parsed into words,
quoted phrases and ``word*`` prefixes; only letters and digits survive into the engine's query
syntax, and that query is a bound parameter, never SQL text. A search without a sort ranks a
window of the newest visible matches and lists older ones after it (:func:`ranked_page`;
docs/content.md, "Ranking").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    tuple_,
)
from sqlalchemy.sql import Subquery

from sonic_cms.db.schema.tables import CONTENT
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
_FTS = table("content_fts", column("rowid"))
_FTS_IDS = table("content_fts_ids", column("rowid"), column("content_id"))
_VECTORS = table("content_fts_vectors", column("content_id"), column("document"))
#: PostgreSQL: the function of revision 0013 giving an item's weighted search vector from its
#: title and data; the per-row trigger and :func:`pg_index_new_items` both call it.
PG_DOCUMENT = "sonic_content_document"
#: PostgreSQL: the transaction-local setting that turns the per-row vector trigger off.
_PG_SEARCH_DEFERRED = "sonic.search_deferred"


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


# The parameters of a ranked search's statements, bound per request (the statements are built
# once per list shape: content/lists.py keeps them).
SEARCH_WORDS = bindparam("search_q", type_=String)
_WINDOW = bindparam("rank_window", type_=Integer)
_WINDOW_ROWS = bindparam("window_rows", type_=Integer)
_OFFSET = bindparam("page_offset", type_=Integer)
_SIZE = bindparam("page_size", type_=Integer)
_OLDER_OFFSET = bindparam("older_offset", type_=Integer)
_OLDER_SIZE = bindparam("older_size", type_=Integer)


def _pg_words() -> ColumnElement[Any]:
    return func.to_tsquery(text(f"'{PG_SEARCH_CONFIG}'::regconfig"), SEARCH_WORDS)


def _fts_match() -> ColumnElement[bool]:
    return literal_column("content_fts").op("MATCH")(SEARCH_WORDS)


def search_subquery(dialect: str) -> Subquery:
    """``(content_id)`` of every matching item, unranked: what counts and explicit sorts use
    (the words are the :data:`SEARCH_WORDS` parameter)."""
    if dialect == "postgresql":
        query = select(_VECTORS.c.content_id).where(_VECTORS.c.document.op("@@")(_pg_words()))
    else:
        query = (
            select(_FTS_IDS.c.content_id)
            .join_from(_FTS, _FTS_IDS, _FTS_IDS.c.rowid == _FTS.c.rowid)
            .where(_fts_match())
        )
    return query.subquery("search_hits")


def plan_each_search(conn: Connection, dialect: str) -> None:
    """Have PostgreSQL plan this transaction's statements for their search words.

    psycopg prepares a statement once it has run five times, and PostgreSQL then moves to a
    generic plan, which cannot know how many items the words match: the same plan for a rare word
    (read the few hits from the GIN index) and for common ones (walk the newest items, probe each
    one's vector). The generic plan took 763 ms instead of 77 ms for two common words at 100k
    items. No parallel workers either: the window reads at most a thousand matches, and the
    workers' start-up and merge cost more than they save (two common words at 100k items:
    15.9 ms with two workers, 9.4 ms without; bench/README.md, "Search at 100k items"). Both
    are transaction-local (``SET LOCAL``): they end with the transaction.
    """
    if dialect == "postgresql":
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # the settings would end with this statement: the search needs Database.read()
            raise RuntimeError("a search must run in a transaction")
        conn.exec_driver_sql(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )


@dataclass(frozen=True)
class RankedPage:
    """A page of a relevance-ranked search, and what its window saw."""

    rows: list[Row[Any]]
    #: Visible matches the window read (all of them when at most ``window``, else
    #: ``window + 1``); None when the page did not tell.
    seen: int | None
    window: int

    def count(self, cap: int) -> tuple[int, bool] | None:
        """``(total up to cap, whether capped)`` when the window tells it (None: count)."""
        if self.seen is None:
            return None
        if self.seen <= self.window:
            return min(self.seen, cap), self.seen > cap
        return (cap, True) if self.window >= cap else None


@dataclass(frozen=True, slots=True)
class RankedSearch:
    """The statements of a relevance-ranked search, with the words and limits unbound."""

    #: The page's rows, ranked inside the window, each with ``seen`` (matches the window read).
    page: Select[Any]
    #: The keys of the window's oldest match and of the next older one, if any.
    boundary: Select[Any]
    #: Rows older than a boundary key, newest first: the pages past the window.
    older: Select[Any]
    #: The names of the boundary keys' parameters in ``older``.
    key_names: tuple[str, ...]


def search_words(dialect: str, terms: list[Term]) -> str:
    """The value of :data:`SEARCH_WORDS`: the engine's query syntax for ``terms``."""
    return tsquery(terms) if dialect == "postgresql" else fts5_query(terms)


def ranked_search(
    dialect: str, columns: Sequence[ColumnElement[Any]], conditions: Sequence[ColumnElement[bool]]
) -> RankedSearch:
    """The statements of a ranked search for these columns and conditions.

    One statement gives a page inside the window: the window's newest matches are read in index
    order and stop at the window (a CTE), ranked there, and the page's rows are joined by
    primary key in rank order. Earlier the window's ids and ranks came back to Python (1,001
    rows), were sorted there, and the page was fetched by id in a second statement built for
    each request (bench/README.md, "Search in one statement").
    """
    newest, keys, match, hits = (_pg_newest if dialect == "postgresql" else _sqlite_newest)(
        conditions
    )
    newest_first = [key.desc() for key in keys]
    ranked = select(
        newest.c.id,
        newest.c.rank,
        func.row_number().over(order_by=newest_first).label("pos"),
        func.count().over().label("seen"),
    ).cte("ranked")
    # the page's ids first, then their rows: a join before the LIMIT reads the window's rows
    top = (
        select(ranked.c.id, ranked.c.rank, ranked.c.pos, ranked.c.seen)
        .where(ranked.c.pos <= _WINDOW)
        .order_by(ranked.c.rank.desc(), ranked.c.pos)
        .limit(_SIZE)
        .offset(_OFFSET)
        .subquery("top")
    )
    page = (
        select(*columns, top.c.seen)
        .select_from(top.join(CONTENT, CONTENT.c.id == top.c.id))
        .order_by(top.c.rank.desc(), top.c.pos)
    )
    boundary = select(*keys).order_by(*newest_first).limit(2).offset(_WINDOW - 1)
    key_names = tuple(f"older_than_{n}" for n in range(len(keys)))
    bounds: list[BindParameter[Any]] = [bindparam(name) for name in key_names]
    table_keys = [CONTENT.c.created_at, CONTENT.c.id] if dialect == "postgresql" else [_FTS.c.rowid]
    older = (
        select(*columns)
        .select_from(hits)
        .where(match, tuple_(*table_keys) < tuple_(*bounds), *conditions)
        .order_by(*(key.desc() for key in table_keys))
        .limit(_OLDER_SIZE)
        .offset(_OLDER_OFFSET)
    )
    return RankedSearch(page, boundary, older, key_names)


def ranked_page(
    conn: Connection,
    statements: RankedSearch,
    params: dict[str, Any],
    offset: int,
    count: int,
    window: int,
) -> RankedPage:
    """``count`` visible matches from ``offset`` on, in relevance order.

    The order is total and the same for every page, so pages never repeat or skip an item: the
    ``window`` newest visible matches first, best rank first (ties newest first), then every
    older match, newest first. Only the window is ranked. A true top-k by bm25 or ts_rank scores
    every hit (FTS5's ``ORDER BY rank`` too: it sorts all of them), which for two common words at
    100k items (30k hits) cost 61 ms on SQLite and more on PostgreSQL; the newest matches come
    in index order and stop at the window, so a search costs about the same whatever its words.
    A page beyond the window reads the older matches in index order, unranked. The window reads
    one match more than it ranks, to know whether older ones exist (and often the total).
    """
    bound = {
        **params,
        "rank_window": window,
        "window_rows": window + 1,
        "page_offset": offset,
        "page_size": count,
    }
    rows = list(conn.execute(statements.page, bound).all())
    seen = rows[0].seen if rows else (0 if offset == 0 else None)
    if len(rows) == count or (seen is not None and seen <= window):
        return RankedPage(rows, seen, window)
    # the page reaches past the window: the matches older than its oldest one follow
    edge = conn.execute(statements.boundary, bound).all()
    if len(edge) < 2:  # nothing older than the window's oldest match
        return RankedPage(rows, seen, window)
    older = dict(zip(statements.key_names, tuple(edge[0]), strict=True))
    older |= {"older_offset": max(offset - window, 0), "older_size": count - len(rows)}
    rows += conn.execute(statements.older, {**bound, **older}).all()
    return RankedPage(rows, window + 1, window)


Newest = tuple[Any, list[ColumnElement[Any]], ColumnElement[bool], Any]


def _sqlite_newest(conditions: Sequence[ColumnElement[bool]]) -> Newest:
    """Newest means last indexed: FTS5 walks its rowids backwards and stops at the LIMIT, and
    bm25 runs for the rows it returns only. An item is indexed when it is created."""
    hits = _FTS.join(_FTS_IDS, _FTS_IDS.c.rowid == _FTS.c.rowid).join(
        CONTENT, CONTENT.c.id == _FTS_IDS.c.content_id
    )
    match = _fts_match()
    rank = -func.bm25(literal_column("content_fts"), 10.0, 1.0, type_=Float)
    newest = (
        select(CONTENT.c.id, rank.label("rank"), _FTS.c.rowid.label("fts_row"))
        .select_from(hits)
        .where(match, *conditions)
        .order_by(_FTS.c.rowid.desc())
        .limit(_WINDOW_ROWS)
        .cte("newest")
    )
    return newest, [newest.c.fts_row], match, hits


def _pg_newest(conditions: Sequence[ColumnElement[bool]]) -> Newest:
    """Newest means the list's default order (``created_at`` then ``id``, descending), which
    the list indexes give in order; ts_rank runs on the window's rows only (computed outside
    the limited query, so a plan that sorts every hit does not rank every hit)."""
    words = _pg_words()
    hits = CONTENT.join(_VECTORS, _VECTORS.c.content_id == CONTENT.c.id)
    match = _VECTORS.c.document.op("@@")(words)
    limited = (
        select(CONTENT.c.created_at, CONTENT.c.id, _VECTORS.c.document)
        .select_from(hits)
        .where(match, *conditions)
        .order_by(CONTENT.c.created_at.desc(), CONTENT.c.id.desc())
        .limit(_WINDOW_ROWS)
        .subquery("limited")
    )
    rank = func.ts_rank(limited.c.document, words, type_=Float)
    newest = select(limited.c.created_at, limited.c.id, rank.label("rank")).cte("newest")
    return newest, [newest.c.created_at, newest.c.id], match, hits


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


@contextmanager
def pg_search_deferred(conn: Connection) -> Iterator[None]:
    """PostgreSQL: inside the block, content rows this transaction writes get no search vector
    from the per-row trigger; the caller indexes them as a set (:func:`pg_index_new_items`).

    The setting is local to the transaction (no lock, no DDL: other writers keep the trigger)
    and is set back when the block ends; a failure inside the block rolls the transaction back,
    which resets it too.
    """
    conn.execute(text("SELECT set_config(:name, 'on', true)"), {"name": _PG_SEARCH_DEFERRED})
    yield
    conn.execute(text("SELECT set_config(:name, 'off', true)"), {"name": _PG_SEARCH_DEFERRED})


def pg_index_new_items(conn: Connection, item_ids: list[str]) -> None:
    """PostgreSQL: store the search vectors of freshly inserted content rows with one statement
    (the per-row trigger costs a function call, an insert and a conflict check per row)."""
    conn.execute(
        text(
            "INSERT INTO content_fts_vectors (content_id, document) "
            f"SELECT content.id, {PG_DOCUMENT}(content.title, content.data) "
            "FROM content WHERE content.id = ANY(CAST(:ids AS text[]))"
        ),
        {"ids": item_ids},
    )
