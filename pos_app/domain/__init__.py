"""Pure business rules. Imports only the standard library: no Qt, no SQLAlchemy, no I/O."""
