"""The logs domain: the system_logs writer, queries, retention, scrubbing, audit rows."""
