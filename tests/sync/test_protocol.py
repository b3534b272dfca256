"""The shared sync wire protocol: a signature covers every signed part, and cursors round-trip."""

from __future__ import annotations

from pos_app.sync import protocol as p


def test_a_signature_verifies_and_any_changed_part_breaks_it():
    secret = p.new_secret()
    h = p.signed_headers("dev-1", secret, "POST", "/v1/push", b'{"events":[]}', 1_700_000_000_000)
    ts, nonce, sig = int(h[p.H_TIMESTAMP]), h[p.H_NONCE], h[p.H_SIGNATURE]
    assert p.verify(secret, sig, "POST", "/v1/push", ts, nonce, b'{"events":[]}')
    assert not p.verify(secret, sig, "POST", "/v1/push", ts, nonce, b'{"events":[1]}')
    assert not p.verify(secret, sig, "GET", "/v1/push", ts, nonce, b'{"events":[]}')
    assert not p.verify(secret, sig, "POST", "/v1/pull", ts, nonce, b'{"events":[]}')
    assert not p.verify(secret, sig, "POST", "/v1/push", ts + 1, nonce, b'{"events":[]}')
    assert not p.verify(secret, sig, "POST", "/v1/push", ts, "0" * 32, b'{"events":[]}')
    assert not p.verify(p.new_secret(), sig, "POST", "/v1/push", ts, nonce, b'{"events":[]}')


def test_a_cursor_round_trips_and_a_malformed_one_reads_as_none():
    c = p.Cursor("epoch-a:b", 42)
    assert p.Cursor.parse(str(c)) == c
    for bad in (None, "", "42", ":42", "e:", "e:x", "e:-1"):
        assert p.Cursor.parse(bad) is None
