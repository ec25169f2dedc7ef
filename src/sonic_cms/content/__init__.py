"""The content domain: collections, schemas, items, versions, lists, search, bulk import."""
