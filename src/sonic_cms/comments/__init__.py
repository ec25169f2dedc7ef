"""Comments on content: posting and threads, the author's edit window, moderation, counts."""
