"""The REST API: SonicJS's public contract on FastAPI."""
