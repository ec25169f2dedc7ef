"""Localised content below the content domain: which locale a request asks for, the SQL that
picks one row per translation group, and the fields a group shares (docs/localisation.md)."""
