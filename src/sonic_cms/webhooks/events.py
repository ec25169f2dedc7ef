"""The events an endpoint may ask for: hooks by their name, and which of them a collection
filter applies to.

An event is the typed hook spec the service fires (:mod:`sonic_cms.plugins.hookspecs`), so a
webhook's ``type`` is the same name a plugin registers a handler for.
"""

from __future__ import annotations

from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hookspecs import Hook

#: Every event a webhook endpoint may subscribe to, by name, in the order the docs list them.
EVENTS: dict[str, Hook] = {
    hook.name: hook
    for hook in (
        hookspecs.CONTENT_CREATE,
        hookspecs.CONTENT_UPDATE,
        hookspecs.CONTENT_DELETE,
        hookspecs.CONTENT_PUBLISH,
        hookspecs.WORKFLOW_TRANSITION,
        hookspecs.MEDIA_UPLOAD,
        hookspecs.MEDIA_DELETE,
        hookspecs.AUTH_REGISTER,
    )
}
#: The events about an item of a collection: an endpoint's collection filter limits these.
COLLECTION_EVENTS = frozenset(
    {"content:create", "content:update", "content:delete", "content:publish", "workflow:transition"}
)
