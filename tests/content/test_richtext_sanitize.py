"""Rich text is cleaned on every write (issue 12, hole 7), on both engines.

The attack below puts the four classic payloads (a script element, an event handler, a
javascript: link, an iframe) in every kind of HTML field, top-level and nested; the stored bytes
and the API's answer must hold none of them, while allowed markup, markdown and opted-out
fields stay exactly as written.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from sonic_cms.actors import SYSTEM
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ContentVersion
from sonic_cms.inputs.html import HtmlPlan, clean_html, plan_for_schema, sanitize
from sonic_cms.operations.sonicjs_import import import_sonicjs
from sonic_cms.plugins.hooks import HookContext
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers, create_random_user
from tests.utils.hook_recorder import register_filter

EVIL = (
    '<p>Hi</p><script>alert("s")</script><img src="x.png" onerror="alert(2)">'
    '<a href="javascript:alert(3)">go</a><iframe src="https://evil.example">f</iframe>'
)
CLEAN = '<p>Hi</p><img src="x.png"><a rel="noopener noreferrer">go</a>'
#: Quill/TinyMCE output that is on the allow-list: stored byte for byte.
SAFE = (
    '<h2>Title</h2><p class="ql-align-center">Some <strong>bold</strong>, <em>em</em>, <u>u</u>,'
    " <s>s</s>, H<sub>2</sub>O x<sup>2</sup><br></p><ul><li>one</li></ul>"
    '<ol start="3"><li data-list="bullet">two</li></ol><blockquote>q</blockquote>'
    '<pre class="ql-syntax" spellcheck="false">code &lt;b&gt; &amp; more</pre><p><code>x</code></p>'
    '<hr><table><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td>1</td><td>2</td>'
    "</tr></tbody></table><p>"
    '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">link</a> '
    '<a href="/relative" target="_blank" rel="noopener noreferrer">rel</a> '
    '<a href="mailto:a@example.com" rel="noopener noreferrer">mail</a></p>'
    '<p><img src="https://example.com/i.png" alt="i"><img src="/files/x.png" alt="x">'
    '<span class="ql-size-large" style="color:red">big</span></p>'
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "required": True},
        "body": {"type": "richtext"},
        "intro": {"type": "quill"},
        "notes": {"type": "tinymce"},
        "md": {"type": "markdown"},
        "mdx": {"type": "mdxeditor"},
        "mdxHtml": {"type": "mdxeditor", "sanitize": True},
        "raw": {"type": "richtext", "sanitize": False},
        "plain": {"type": "string"},
        "meta": {
            "type": "object",
            "properties": {"summary": {"type": "richtext"}, "plain": {"type": "string"}},
        },
        "gallery": {"type": "array", "items": {"type": "richtext"}},
        "sections": {
            "type": "array",
            "blocks": {
                "text": {"properties": {"html": {"type": "tinymce"}}},
                "quote": {"properties": {"quote": {"type": "string"}}},
            },
        },
    },
}
CLEANED_FIELDS = ("body", "intro", "notes", "mdxHtml")
KEPT_FIELDS = ("md", "mdx", "raw", "plain")


def _dirty() -> dict[str, Any]:
    """Every field holding the attack."""
    return {
        **{name: EVIL for name in (*CLEANED_FIELDS, *KEPT_FIELDS)},
        "meta": {"summary": EVIL, "plain": EVIL},
        "gallery": [EVIL, SAFE, "a > b & c"],
        "sections": [
            {"blockType": "text", "html": EVIL},
            {"blockType": "quote", "quote": EVIL},
        ],
    }


def _assert_cleaned(data: dict[str, Any]) -> None:
    for name in CLEANED_FIELDS:
        assert data[name] == CLEAN, name
    for name in KEPT_FIELDS:
        assert data[name] == EVIL, name
    assert data["meta"] == {"summary": CLEAN, "plain": EVIL}
    assert data["gallery"] == [CLEAN, SAFE, "a > b & c"]
    assert data["sections"] == [
        {"blockType": "text", "html": CLEAN},
        {"blockType": "quote", "quote": EVIL},
    ]


def _stored(db: Database, item_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(Content).where(Content.id == item_id)).one()


def _versions(db: Database, item_id: str) -> list[Any]:
    with db.read() as conn:
        query = select(ContentVersion).where(ContentVersion.content_id == item_id)
        return list(conn.execute(query.order_by(ContentVersion.version)).all())


@pytest.fixture
def admin(client, db, settings, clock) -> dict[str, str]:
    headers = bearer_headers(db, settings, clock, "admin")
    response = client.post(
        "/admin/api/collections",
        headers=headers,
        json={"name": "articles", "display_name": "Articles", "schema": SCHEMA},
    )
    assert response.status_code == 201, response.text
    return headers


def _create(client, headers, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"collectionId": "articles", "title": "T", "data": data, **extra}
    response = client.post("/api/content", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


# -- the policy itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<SCRIPT>alert(1)</SCRIPT>ok", "ok"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="java&#x09;script:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="vbscript:x">v</a>', '<a rel="noopener noreferrer">v</a>'),
        ('<img src="data:image/svg+xml;base64,AA">', "<img>"),
        ('<p onclick="steal()" class="c">p</p>', '<p class="c">p</p>'),
        ("<svg onload=alert(1)><circle/></svg>z", "z"),
        ('<form action="/x"><input name="a">text</form>', "text"),
        ("<object data='x'>o</object><embed src=x><style>p{}</style>s", "s"),
        ('<span style="color: red; position: fixed">x</span>', '<span style="color:red">x</span>'),
        ('<a href="/x" target="_top">t</a>', '<a href="/x" rel="noopener noreferrer">t</a>'),
        ("<!-- <script>x</script> --><p>c</p>", "<p>c</p>"),
        ("a > b & c", "a > b & c"),
        (SAFE, SAFE),
    ],
)
def test_allow_list(dirty: str, clean: str):
    assert clean_html(dirty) == clean
    assert clean_html(clean) == clean  # cleaning twice changes nothing


def test_plan_points_at_html_fields_only_and_sanitize_copies_only_what_changed():
    plan = plan_for_schema(SCHEMA)
    assert plan is not None
    assert set(plan.fields) == {"body", "intro", "notes", "mdxHtml", "meta", "gallery", "sections"}
    assert plan_for_schema({"properties": {"md": {"type": "markdown"}}}) is None
    clean = {"body": "<p>fine</p>", "meta": {"summary": "plain"}, "gallery": ["x"]}
    assert sanitize(plan, clean) is clean
    changed: list[str] = []
    dirty = _dirty()
    out = sanitize(plan, dirty, changed)
    _assert_cleaned(out)
    assert dirty["body"] == EVIL  # the input is not modified in place
    assert changed == [
        "body",
        "intro",
        "notes",
        "mdxHtml",
        "meta.summary",
        "gallery.0",
        "sections.0.html",
    ]
    assert sanitize(HtmlPlan(html=True), 5) == 5  # wrong shapes are left for validation


# -- every write path --------------------------------------------------------------------------


def test_create_cleans_every_html_field_nested_ones_too(client, admin, db):
    item = _create(client, admin, _dirty())
    _assert_cleaned(item["data"])
    _assert_cleaned(_stored(db, item["id"]).data)
    _assert_cleaned(_versions(db, item["id"])[0].data["data"])
    read = client.get(f"/api/content/{item['id']}", headers=admin)
    _assert_cleaned(read.json()["data"]["data"])


def test_allowed_markup_is_stored_byte_for_byte(client, admin, db):
    item = _create(client, admin, {"body": SAFE, "notes": "no tags at all: a < b? no, 2 > 1 & ok"})
    stored = _stored(db, item["id"]).data
    assert stored["body"] == SAFE
    assert stored["notes"] == "no tags at all: a &lt; b? no, 2 &gt; 1 &amp; ok"


def test_update_and_autosave_are_cleaned(client, admin, db):
    item = _create(client, admin, {"body": "<p>first</p>"})
    url = f"/api/content/{item['id']}"
    saved = client.put(url, headers=admin, json={"data": _dirty()})
    assert saved.status_code == 200, saved.text
    _assert_cleaned(_stored(db, item["id"]).data)
    auto = client.put(url, headers=admin, json={"data": _dirty(), "is_auto_saved": True})
    assert auto.status_code == 200, auto.text
    _assert_cleaned(client.get(f"{url}/autosave", headers=admin).json()["data"]["data"])
    direct = client.put(f"{url}/autosave", headers=admin, json={"data": _dirty()})
    _assert_cleaned(direct.json()["data"]["data"])
    versions = _versions(db, item["id"])
    assert [v.version for v in versions] == [1, 2]
    for version in versions[1:]:
        _assert_cleaned(version.data["data"])


def test_rollback_to_a_version_stored_before_cleaning_cleans_it(client, admin, db):
    item = _create(client, admin, {"body": "<p>one</p>"})
    url = f"/api/content/{item['id']}"
    assert client.put(url, headers=admin, json={"data": {"body": "<p>two</p>"}}).status_code == 200
    old = _versions(db, item["id"])[0]
    with db.write() as conn:  # history written before this change held raw HTML
        raw = {**old.data, "data": {"body": EVIL}}
        conn.execute(update(ContentVersion).where(ContentVersion.id == old.id).values(data=raw))
    back = client.post(f"{url}/rollback", headers=admin, json={"version": 1})
    assert back.status_code == 200, back.text
    assert back.json()["data"]["data"]["body"] == CLEAN
    assert _stored(db, item["id"]).data["body"] == CLEAN


def test_a_plugin_filter_cannot_store_a_script(client, admin, db):
    def inject(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
        return {**payload, "data": {**payload["data"], "body": EVIL}}

    register_filter(client.app.state.ctx.hooks, "content:save", inject)
    item = _create(client, admin, {"body": "<p>mine</p>"})
    assert _stored(db, item["id"]).data["body"] == CLEAN


def test_bulk_import_cleans_like_a_single_create(client, admin, db, clock, ctx):
    author = create_random_user(db, clock, "editor").id
    items = [{"title": f"Bulk {n}", "data": _dirty()} for n in range(5)]
    system = ctx.acting_as(SYSTEM)
    report = bulk_create_items(system, "articles", items, batch_size=2, author_id=author)
    assert report.created == 5 and not report.rejected
    with db.read() as conn:
        rows = conn.execute(select(Content.data)).scalars().all()
        versions = conn.execute(select(ContentVersion.data)).scalars().all()
    assert len(rows) == 5
    for data in rows:
        _assert_cleaned(data)
    for snap in versions:
        _assert_cleaned(snap["data"])


def test_opt_out_keeps_raw_html_and_the_key_is_for_html_fields_only(client, admin, db):
    item = _create(client, admin, {"raw": EVIL, "mdx": EVIL})
    stored = _stored(db, item["id"]).data
    assert (stored["raw"], stored["mdx"]) == (EVIL, EVIL)
    for config, message in [
        ({"type": "string", "sanitize": False}, "only HTML fields"),
        ({"type": "markdown", "sanitize": True}, "only HTML fields"),
        ({"type": "richtext", "sanitize": "no"}, "must be true or false"),
    ]:
        schema = {"type": "object", "properties": {"f": config}}
        response = client.post(
            "/admin/api/collections",
            headers=admin,
            json={"name": "bad", "display_name": "Bad", "schema": schema},
        )
        assert response.status_code == 422, response.text
        details = response.json()["details"]
        assert any(d["path"].endswith("f.sanitize") and message in d["message"] for d in details), (
            details
        )


def test_sonicjs_import_cleans_content_and_versions(db_url: str, tmp_path: Path, ctx):
    fixture = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"
    export = tmp_path / "export.sql"
    sql = fixture.read_text()
    about = """'{"title":"About Us","content":"<p>We''re a small team.</p>"}'"""
    assert about in sql
    sql = sql.replace(
        about,
        """'{"title":"About Us","content":"<p>We''re a small team.</p><script>x()</script>"}'""",
    )
    old = """VALUES('cv-1','content-about',1,'{"title":"About"}'"""
    assert old in sql
    sql = sql.replace(
        old,
        "VALUES('cv-1','content-about',1,"
        """'{"title":"About","content":"<p onclick=x()>Old</p>"}'""",
    )
    export.write_text(sql)
    target = Database(make_settings(db_url, backup_dir=tmp_path / "backups"))
    try:
        report = import_sonicjs(replace(ctx, db=target, settings=target.settings), export)
        assert report.table("content").html_cleaned == 1
        assert report.table("content_versions").html_cleaned == 1
        assert any("rich text cleaned" in n for n in report.table("content").notes)
        assert _stored(target, "content-about").data["content"] == "<p>We're a small team.</p>"
        with target.read() as conn:
            version = conn.execute(
                select(ContentVersion.data).where(ContentVersion.id == "cv-1")
            ).scalar_one()
        assert version == {"title": "About", "content": "<p>Old</p>"}
    finally:
        target.dispose()
