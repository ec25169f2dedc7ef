"""The pages editors live in: content lists, the editor and its lookups, versions and the item
panel, the review queue, the media library (the sidebar's first section)."""
