"""PySide6 user interface. Calls services only (through ops on the database worker); never the ORM."""
