"""Reuses of the portal's data: submission, moderation, storage (SQLite/PostgreSQL) and their rendering."""
