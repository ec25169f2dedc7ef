"""The administration API under ``/admin/api`` (and ``/admin/cache``): collections, users,
roles and permissions, plugins, logs, the cache, site settings and webhooks, each a router
calling its domain's services, which check the caller's permissions themselves."""
