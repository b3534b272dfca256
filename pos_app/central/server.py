"""Run the central HTTP server with uvicorn: migrate once, then one or more worker processes on one database
(stateless: each request reads and writes the database only)."""

from __future__ import annotations

import os

from pos_app.central import services
from pos_app.central.api import ENV_DB_URL


def serve(url: str, *, host: str = "127.0.0.1", port: int = 8700, workers: int = 1) -> None:
    import uvicorn  # noqa: PLC0415

    if not 1 <= workers <= 64:
        from pos_app.central.services_common import CentralError  # noqa: PLC0415

        raise CentralError(400, "bad_input", "--workers must be 1..64")
    services.open_database(url).dispose()  # migrations and the epoch, once, before any worker starts
    os.environ[ENV_DB_URL] = url
    uvicorn.run("pos_app.central.api:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=os.environ.get("POS_CENTRAL_LOG_LEVEL", "info"))
