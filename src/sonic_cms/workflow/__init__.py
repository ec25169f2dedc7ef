"""The workflow domain: definitions, transitions, scheduling and its executor, and the edits
that move it (with the autosaved working copies a Save applies)."""
