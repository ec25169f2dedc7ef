"""Translations of content items: listing and creating the rows of a translation group, and
reading an item in a locale with its fallback chain (docs/localisation.md)."""
