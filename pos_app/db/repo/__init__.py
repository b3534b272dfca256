"""Small per-aggregate repositories: the one write path of the services, on the ORM and SQLAlchemy Core.

- Append-only rows (ledgers, coupons, audit, outbox, request log) go in with Core ``insert()``
  (several rows in one statement through insertmanyvalues); pending ORM objects are flushed first,
  since the new rows may refer to them (:func:`pos_app.db.repo.base.append`).
- Rows a transaction changes later are ORM objects in the session (identity map); their changes are
  flushed as UPDATEs.
- Reads are ``select()`` statements; the ones on a use case's hot path read table columns (Core), which
  never autoflush, or load ORM objects under ``session.no_autoflush``.

Services call these functions; they write no SQL text and use no SQLAlchemy name starting with ``_``.
"""

from pos_app.db.repo import (  # noqa: F401  (the package's modules, for ``repo.ledger.append_wallet_entry`` etc.)
    audit,
    base,
    bulk,
    campaign_report,
    campaigns,
    checks,
    coupons,
    dash_summary,
    ledger,
    levels,
    mall,
    members,
    outbox,
    points,
    products,
    referrals,
    reports,
    requests,
    sales,
    store,
    sync,
    wheel,
)
