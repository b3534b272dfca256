"""The central server's HTTP API (FastAPI): the store endpoints of docs/sync-protocol.md and the head-office
endpoints (``/v1/admin/...``, bearer admin token). Thin: every endpoint calls one central service function."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from pos_app.central import schemas as sc
from pos_app.central import services, services_reports, services_sync
from pos_app.central.db import CentralDatabase
from pos_app.central.services_common import CentralError, iso, now_ms
from pos_app.central.services_sync import DeviceAuth
from pos_app.sync import protocol as p

#: the environment variable naming the database for worker processes (``serve --workers N``)
ENV_DB_URL = "POS_CENTRAL_DB_URL"

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": sc.ErrorOut}, 401: {"model": sc.ErrorOut}, 403: {"model": sc.ErrorOut},
    404: {"model": sc.ErrorOut}, 409: {"model": sc.ErrorOut}, 413: {"model": sc.ErrorOut},
}


async def raw_body(request: Request) -> bytes:
    return await request.body()


def signed(request: Request, body: Annotated[bytes, Depends(raw_body)]) -> DeviceAuth:
    """The signed-request check (the path as sent, with its query string)."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    full = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return services_sync.authenticate(request.app.state.db, request.method, full, request.headers, body)


def admin(request: Request) -> None:
    header = request.headers.get("authorization") or ""
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    services.check_admin_token(request.app.state.db, token)


Signed = Annotated[DeviceAuth, Depends(signed)]
Admin = Depends(admin)

# the head-office reports' query parameters (checked by the report services, which answer 400 with the reason)
FromDay = Annotated[str | None, Query(alias="from", max_length=10, description="first store-local day, YYYY-MM-DD")]
ToDay = Annotated[str | None, Query(max_length=10, description="last store-local day (included), YYYY-MM-DD")]
StoreRef = Annotated[str | None, Query(max_length=64, description="a store id or code (default: every store)")]
CampaignCode = Annotated[str | None, Query(max_length=64, description="only this campaign's recharges and sales")]
Zone = Annotated[str | None, Query(max_length=64, description="the zone of stores whose events never told theirs "
                                                              "(default Asia/Shanghai)")]


class ServerTime:
    """Every answer carries ``X-POS-Server-Time`` (milliseconds): a plain ASGI middleware (no per-request task
    and body streaming, as a ``@app.middleware("http")`` function costs)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-pos-server-time", str(now_ms()).encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_stamped)


def create_app(db: CentralDatabase) -> FastAPI:
    app = FastAPI(title="pos_app central server", version=str(p.PROTOCOL_VERSION),
                  description="Store sync (docs/sync-protocol.md) and head-office administration.")
    app.state.db = db

    @app.exception_handler(CentralError)
    async def _central_error(_request: Request, exc: CentralError) -> JSONResponse:
        body = {"error": exc.code, "message": exc.message, "server_time": exc.extra.get("server_time") or iso(now_ms())}
        return JSONResponse(body, status_code=exc.status)

    app.add_middleware(ServerTime)

    # ------------------------------------------------------------------------- store endpoints
    @app.post(p.PATH_PAIR, response_model=sc.PairOut, responses=ERRORS, tags=["store"])
    def pair(body: sc.PairIn) -> dict[str, Any]:
        """Pair a device with a one-time code (unsigned: the code is the proof)."""
        return services_sync.pair(db, body.code, body.device_id, body.store_code, body.device_name)

    @app.get(p.PATH_PING, response_model=sc.PingOut, responses=ERRORS, tags=["store"])
    def ping(auth: Signed) -> dict[str, Any]:
        return services_sync.ping(db, auth)

    @app.post(p.PATH_PUSH, response_model=sc.PushOut, responses=ERRORS, tags=["store"])
    def push(auth: Signed, body: sc.PushIn) -> dict[str, Any]:
        return services_sync.push(db, auth, [e.model_dump() for e in body.events])

    @app.get(p.PATH_PULL, response_model=sc.PullOut, responses=ERRORS, tags=["store"])
    def pull(auth: Signed, cursor: Annotated[str | None, Query(max_length=200)] = None,
             limit: Annotated[int, Query(ge=1, le=services_sync.PULL_LIMIT_MAX)] = services_sync.PULL_LIMIT_DEFAULT,
             ) -> Response:
        # the changes' data go out as stored (JSON text), not parsed and serialised again
        return Response(services_sync.pull_json(db, auth, cursor, limit), media_type="application/json")

    @app.get(p.PATH_CONFLICTS, response_model=list[sc.ConflictOut], responses=ERRORS, tags=["store"])
    def conflicts(auth: Signed) -> list[dict[str, Any]]:
        return services_sync.store_conflicts(db, auth)

    @app.post(p.PATH_CONFLICTS + "/{conflict_id}/note", response_model=sc.ConflictOut, responses=ERRORS, tags=["store"])
    def note(conflict_id: str, auth: Signed, body: sc.NoteIn) -> dict[str, Any]:
        return services_sync.store_note(db, auth, conflict_id, body.note)

    # ------------------------------------------------------------------------- head office
    @app.get("/v1/admin/stores", response_model=list[sc.StoreOut], responses=ERRORS, dependencies=[Admin], tags=["admin"])
    def stores() -> list[dict[str, Any]]:
        return services.list_stores(db)

    @app.post("/v1/admin/stores", response_model=sc.StoreOut, responses=ERRORS, dependencies=[Admin], tags=["admin"])
    def add_store(body: sc.StoreIn) -> dict[str, Any]:
        return services.add_store(db, body.name, body.code)

    @app.post("/v1/admin/device-codes", response_model=sc.DeviceCodeOut, responses=ERRORS, dependencies=[Admin],
              tags=["admin"])
    def device_code(body: sc.DeviceCodeIn) -> dict[str, Any]:
        return services.device_code(db, body.store, body.hours)

    @app.get("/v1/admin/devices", response_model=list[sc.DeviceOut], responses=ERRORS, dependencies=[Admin],
             tags=["admin"])
    def devices() -> list[dict[str, Any]]:
        return services.list_devices(db)

    @app.post("/v1/admin/devices/{device_id}/revoke", response_model=sc.RevokeOut, responses=ERRORS,
              dependencies=[Admin], tags=["admin"])
    def revoke(device_id: str) -> dict[str, Any]:
        return services.revoke_device(db, device_id)

    @app.get("/v1/admin/campaigns", response_model=list[sc.CampaignOut], responses=ERRORS, dependencies=[Admin],
             tags=["admin"])
    def campaigns() -> list[dict[str, Any]]:
        return services.list_campaigns(db)

    @app.post("/v1/admin/campaigns", response_model=sc.CampaignOut, responses=ERRORS, dependencies=[Admin],
              tags=["admin"])
    def publish(body: sc.CampaignIn) -> dict[str, Any]:
        return services.publish_campaign(db, body.rules, body.stores)

    @app.get("/v1/admin/gifts", response_model=list[sc.GiftOut], responses=ERRORS, dependencies=[Admin], tags=["admin"])
    def gifts() -> list[dict[str, Any]]:
        return services.list_gifts(db)

    @app.post("/v1/admin/gifts", response_model=sc.GiftsPublished, responses=ERRORS, dependencies=[Admin],
              tags=["admin"])
    def publish_gifts(body: sc.GiftsIn) -> dict[str, Any]:
        return services.publish_gifts(db, [g.model_dump() for g in body.gifts], body.stores)

    @app.get("/v1/admin/conflicts", response_model=list[sc.ConflictOut], responses=ERRORS, dependencies=[Admin],
             tags=["admin"])
    def all_conflicts(store: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
        return services.list_conflicts(db, store)

    @app.post("/v1/admin/conflicts/{conflict_id}/resolve", response_model=sc.ConflictOut, responses=ERRORS,
              dependencies=[Admin], tags=["admin"])
    def resolve(conflict_id: str, body: sc.ResolveIn) -> dict[str, Any]:
        return services.note_conflict(db, conflict_id, body.note, author="head office", resolve=True)

    @app.get("/v1/admin/members", response_model=sc.MemberView, responses=ERRORS, dependencies=[Admin],
             tags=["admin"])
    def member(phone: Annotated[str, Query(min_length=1, max_length=20)]) -> dict[str, Any]:
        return services.member_show(db, phone)

    # ------------------------------------------------------------------------- head office's reports
    @app.get("/v1/admin/reports/campaign", response_model=sc.CampaignReportOut, responses=ERRORS,
             dependencies=[Admin], tags=["reports"])
    def campaign_report(from_: FromDay = None, to: ToDay = None, store: StoreRef = None,
                        campaign: CampaignCode = None, tz: Zone = None) -> dict[str, Any]:
        """The campaign figures as daily rows (store-local days, both included), per store and across the
        stores, from the synced events; ``from``/``to`` may be left out for a campaign head office published."""
        return services_reports.campaign_report(db, from_day=from_, to_day=to, store=store, campaign=campaign, tz=tz)

    @app.get("/v1/admin/reports/liability", response_model=sc.LiabilityReportOut, responses=ERRORS,
             dependencies=[Admin], tags=["reports"])
    def liability_report(from_: Annotated[str, Query(alias="from", max_length=10)],
                         to: Annotated[str, Query(max_length=10)], store: StoreRef = None,
                         tz: Zone = None) -> dict[str, Any]:
        """The prepaid liability per store and in total: opening + movements by kind == closing, principal and
        bonus apart; the members above their store's named-card cap."""
        return services_reports.liability_report(db, from_day=from_, to_day=to, store=store, tz=tz)

    return app


def app_from_env() -> FastAPI:
    """The app for a uvicorn worker process (``serve --workers N``): the database named by POS_CENTRAL_DB_URL,
    already migrated by ``serve``."""
    url = os.environ.get(ENV_DB_URL)
    if not url:
        raise RuntimeError(f"{ENV_DB_URL} is not set (start the server with pos-central serve)")
    return create_app(services.open_database(url, migrate=False))
