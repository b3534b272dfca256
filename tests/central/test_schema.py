"""schemathesis against the running server's /openapi.json: no 5xx, every answer matches the documented schema
(status code, content type, body). Store requests are signed by a paired device, head-office ones carry the admin
token, so the generated cases reach the endpoints' logic, not only the refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pos_app.central import services
from pos_app.sync import protocol as p

from .conftest import Server, make_db, paired_device


class Signer(requests.auth.AuthBase):
    def __init__(self, device_id: str, secret: str, token: str) -> None:
        self.device_id, self.secret, self.token = device_id, secret, token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        if r.path_url.startswith("/v1/admin"):
            r.headers["Authorization"] = f"Bearer {self.token}"
        elif not r.path_url.startswith(p.PATH_PAIR):
            r.headers.update(p.signed_headers(self.device_id, self.secret, r.method or "GET", r.path_url, body,
                                              int(time.time() * 1000)))
        return r


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, requests.Session]]:
    db = make_db("sqlite", tmp_path_factory.mktemp("schema"))
    token = services.new_admin_token(db)["admin_token"]
    srv = Server(db).start()
    dev = paired_device(srv, "S1")
    session = requests.Session()
    session.auth = Signer(dev.device_id, dev.secret, token)
    yield srv, session
    srv.stop()
    db.dispose()


def test_api_conforms(live: tuple[Server, requests.Session]) -> None:
    srv, session = live
    api = schemathesis.openapi.from_url(srv.url + "/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15
    seen: list[tuple[str, int]] = []

    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            response = case.call_and_validate(base_url=srv.url, session=session, checks=checks)
            seen.append((case.operation.path, response.status_code))

        check()
    # the signed and admin cases got through to the endpoints' logic
    assert {path for path, status in seen if status == 200} >= {p.PATH_PING, p.PATH_PULL, p.PATH_PUSH, "/v1/admin/stores"}
