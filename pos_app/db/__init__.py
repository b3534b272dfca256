"""SQLAlchemy models, engine/session setup and the unit of work."""
