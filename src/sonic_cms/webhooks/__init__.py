"""Webhooks (issue 18): endpoints admins register, an outbox written inside the transaction of
each change, and a worker that delivers it signed the Standard Webhooks way (docs/webhooks.md)."""
