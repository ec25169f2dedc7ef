"""Structured records in system_logs, written off the request path by a background writer."""
