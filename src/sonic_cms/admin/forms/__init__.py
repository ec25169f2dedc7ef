"""The editor's form, generated from a collection's schema (views) and read back (parsing)."""
