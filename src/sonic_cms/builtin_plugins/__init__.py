"""Plugins shipped inside sonic-cms: cache (core), faq, demo-login."""
