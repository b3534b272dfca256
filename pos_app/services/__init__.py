"""Use cases. Each public function is one transaction: check the role, load, call the domain, write,
append the audit row and the outbox event, commit. They return frozen DTOs, never ORM objects."""
