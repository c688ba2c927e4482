"""Storage adapters: memory (reference), SQLite (embedded default), SQLAlchemy (PostgreSQL)."""
