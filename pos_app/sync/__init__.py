"""Store <-> central sync: the wire protocol (shared by both sides), the store's client and its scheduler."""
