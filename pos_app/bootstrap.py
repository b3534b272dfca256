"""Start-up wiring: the feature modules the store runs with and the one registry of their handlers.

As cosmicpython's ``bootstrap.py`` builds its message bus once and hands it to the entry points, this
module builds the :class:`~pos_app.services.registry.Registry` once (on the first store opened) and every
:class:`ServiceContext` carries it: ``open_store`` (CLI, GUI, tests) and the tools that open a database
themselves get their context from :func:`service_context`. The feature list is a list of imports, not of
names: a feature that is missing fails at import, and one missing a required handler fails here
(:class:`~pos_app.services.registry.RegistryError`), before any use case runs."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache

from pos_app.db.engine import Database
from pos_app.domain.ids import RandBits
from pos_app.services import checkout, coupons, gifts, levels, mall, points, referrals, sync, tasks
from pos_app.services.context import ServiceContext, utc_now
from pos_app.services.registry import Feature, Registry, build_registry

#: the feature modules of the store app, in the order their handlers run
FEATURES: tuple[Feature, ...] = (coupons.FEATURE, referrals.FEATURE, gifts.FEATURE, checkout.FEATURE, points.FEATURE,
                                 mall.FEATURE, sync.FEATURE, levels.FEATURE, tasks.FEATURE)


@cache
def _app_registry() -> Registry:
    return build_registry(FEATURES)


def registry(features: Sequence[Feature] | None = None) -> Registry:
    """The app's registry, built (and checked) once from :data:`FEATURES`; or one built from ``features``
    (a test, a tool, a benchmark of the foundation alone)."""
    return _app_registry() if features is None else build_registry(features)


def service_context(
    database: Database,
    *,
    clock: Callable[[], datetime] = utc_now,
    randbits: RandBits = secrets.randbits,
    features: Sequence[Feature] | None = None,
) -> ServiceContext:
    """A service context on ``database`` with the app's registry (or one built from ``features``)."""
    return ServiceContext(database, registry(features), clock=clock, randbits=randbits)
