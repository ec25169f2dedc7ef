"""sonic-cms: a headless CMS for Python, SonicJS's data model on SQLite or PostgreSQL."""

__version__ = "0.1.0"
