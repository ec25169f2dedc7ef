"""The workflow domain: definitions, transitions, scheduling and its executor."""
