"""The `sonic` command: what `wrangler d1` is for SonicJS users."""
