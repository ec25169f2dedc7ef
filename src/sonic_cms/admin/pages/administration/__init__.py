"""The administrators' pages: collections and their schemas, users, roles, API tokens, plugins,
logs, cache, database and settings (the sidebar's Administration section)."""
