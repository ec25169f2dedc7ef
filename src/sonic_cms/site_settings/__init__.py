"""The site's own settings (``settings`` table): name, description, time zone, registration,
maintenance mode. Read by auth (registration) and the API (maintenance mode) through the
cached :func:`~sonic_cms.site_settings.store.current`; written by
:mod:`sonic_cms.operations.settings_admin` (audited). A layer of its own, below auth, because
auth reads it and the domains above write it."""
