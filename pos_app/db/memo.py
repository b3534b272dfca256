"""What a store connection knows between transactions: small facts only a write can change (the store's
settings row, the campaigns running on a day, coupon templates, the audit chain's head, the outbox's last
sequence number, the day's last recharge and sale receipt numbers, the sync link the offline limits read), so
a use case need not read them again.

A fact is kept per DBAPI connection (SQLite only) with the tables it depends on, and is only served while
it is provably still what the database holds:

- **Other connections** (another process, another connection of this one): SQLite's ``PRAGMA data_version``
  changes when any other connection commits. It is read right after every ``BEGIN`` (the engine's begin
  event calls :func:`on_begin`); a new value forgets everything the connection knew.
- **Anything else written on this connection** outside a unit of work (a raw DBAPI write, a Core statement
  in ``engine.begin()``): the connection's ``total_changes`` is recorded when a unit of work ends; any
  other value at the next ``BEGIN`` forgets everything too.
- **This transaction's own writes**: every INSERT, UPDATE and DELETE is counted per table on the
  connection (:mod:`pos_app.db.written`). A fact known before the transaction is served only while its
  tables have not been written in it; a fact learnt inside the transaction (read, or set right after the
  write that made it, as ``audit.add`` does for the chain's head) is served only while its tables'
  counts are the ones it was learnt at. At commit, facts whose tables were written are forgotten and the
  facts learnt in the transaction that still hold are kept; a rollback keeps nothing it learnt (and, if
  it wrote, the connection's ``total_changes`` moved: the next BEGIN forgets everything).

Nothing is kept on other databases (PostgreSQL): :func:`recall` always says unknown there."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pos_app.db import written

#: what :func:`recall` returns for a fact not known (None is a fact: "no row")
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN", "__bool__": lambda self: False})()

_KEY = "pos_memo"
_STAGED = "pos_memo_staged"
_CONN = "pos_memo_conn_info"


@dataclass
class _Known:
    #: (data_version, total_changes) this connection's facts are valid for
    stamp: tuple[int, int] | None = None
    facts: dict[Hashable, tuple[Any, frozenset[str]]] = field(default_factory=dict)


def on_begin(info: dict[Any, Any], driver_connection: Any) -> None:
    """Right after ``BEGIN`` on a SQLite connection: forget what it knew if anything was committed since
    by another connection, or written on it outside a unit of work."""
    stamp = (driver_connection.execute("PRAGMA data_version").fetchone()[0], driver_connection.total_changes)
    known: _Known | None = info.get(_KEY)
    if known is None or known.stamp != stamp:
        info[_KEY] = _Known(stamp)


def _info(session: Session) -> dict[Any, Any]:
    """The transaction's connection's ``info`` (looked up once per transaction)."""
    info: dict[Any, Any] | None = session.info.get(_CONN)
    if info is None:
        info = session.info[_CONN] = session.connection().info
    return info


def recall(session: Session, key: Hashable) -> Any:
    """The fact ``key`` if it is known to hold in this transaction now, else :data:`UNKNOWN`."""
    info = _info(session)
    known: _Known | None = info.get(_KEY)
    if known is None:
        return UNKNOWN
    counts: dict[str, int] = info.get(written.KEY) or {}
    staged: dict[Hashable, tuple[Any, dict[str, int]]] | None = session.info.get(_STAGED)
    if staged is not None and key in staged:
        value, at = staged[key]
        if all(counts.get(t, 0) == n for t, n in at.items()):
            return value
        return UNKNOWN
    fact = known.facts.get(key)
    if fact is None or any(t in counts for t in fact[1]):
        return UNKNOWN
    return fact[0]


def learn(session: Session, key: Hashable, value: Any, tables: frozenset[str]) -> None:
    """``value`` is the fact ``key`` as the database holds it now, in this transaction; it holds until
    one of ``tables`` is written."""
    info = _info(session)
    if _KEY not in info:
        return
    counts: dict[str, int] = info.get(written.KEY) or {}
    session.info.setdefault(_STAGED, {})[key] = (value, {t: counts.get(t, 0) for t in tables})


def committing(session: Session, counts: dict[str, int], driver_connection: Any) -> None:
    """Just before COMMIT, after the transaction's last write (``counts``: its writes per table, see
    :func:`pos_app.db.written.counts`): what the connection knows once it is committed. Call
    :func:`commit_failed` if the COMMIT then fails."""
    info = _info(session)
    session.info.pop(_CONN, None)
    staged: dict[Hashable, tuple[Any, dict[str, int]]] = session.info.pop(_STAGED, None) or {}
    known: _Known | None = info.get(_KEY)
    if known is None:
        return
    if counts:
        for key in [k for k, (_v, deps) in known.facts.items() if any(t in counts for t in deps)]:
            del known.facts[key]
    for key, (value, at) in staged.items():
        if all(counts.get(t, 0) == n for t, n in at.items()):
            known.facts[key] = (value, frozenset(at))
    if known.stamp is not None:
        known.stamp = (known.stamp[0], driver_connection.total_changes)


def commit_failed(info: dict[Any, Any]) -> None:
    """The COMMIT failed (SQLite rolled the transaction back): the connection knows nothing."""
    info.pop(_KEY, None)


def ended(session: Session) -> None:
    """At the end of a transaction that was not committed: a read-only one keeps the facts it read (it
    wrote nothing); one that wrote keeps nothing it learnt (rolled back), and the connection's
    ``total_changes`` no longer matches its stamp, so the next BEGIN forgets the rest."""
    info: dict[Any, Any] | None = session.info.pop(_CONN, None)
    staged = session.info.pop(_STAGED, None)
    if not staged or info is None:
        return
    known: _Known | None = info.get(_KEY)
    if known is None or info.get(written.KEY):
        return
    for key, (value, at) in staged.items():
        known.facts[key] = (value, frozenset(at))
