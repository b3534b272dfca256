"""The lucky wheel's rules: the outcome mapping, frequencies against the weights, quantities, verification,
amendments only in the members' favour; the check-in streak rules; points lots."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import points as pr
from pos_app.domain import wheel as w
from pos_app.domain.errors import InsufficientFunds, StateError

SEED = bytes.fromhex("00112233445566778899aabbccddeeff" * 2)


def test_pick_walks_cumulative_weights_in_table_order():
    table = [w.Slot("a", 1, 5), w.Slot("b", 3, 5), w.Slot("c", 6, 5)]
    def digest(u: int) -> bytes:
        return u.to_bytes(8, "big") + b"\0" * 24
    assert [w.pick(digest(u), table) for u in range(10)] == ["a", "b", "b", "b", "c", "c", "c", "c", "c", "c"]
    # a prize that is gone leaves the table in force: the rest take its place
    gone = [w.Slot("a", 1, 0), w.Slot("b", 3, 5), w.Slot("c", 6, 5)]
    assert w.pick(digest(0), gone) == "b" and w.pick(digest(3), gone) == "c"
    assert w.probabilities(gone) == {"a": 0, "b": Fraction(1, 3), "c": Fraction(2, 3)}
    with pytest.raises(StateError):
        w.pick(digest(0), [w.Slot("a", 1, 0)])


def test_100000_seeded_draws_match_the_weights():
    weights = {"first": 1, "second": 9, "third": 30, "thanks": 60}
    table = [w.Slot(c, k, 10**9) for c, k in weights.items()]  # quantities that last
    n = 100_000
    counts = dict.fromkeys(weights, 0)
    for i in range(n):
        counts[w.pick(w.draw_digest(SEED, f"draw-{i}", str(i)), table)] += 1
    total = sum(weights.values())
    chi2 = sum((counts[c] - n * k / total) ** 2 / (n * k / total) for c, k in weights.items())
    assert chi2 < 16.27  # chi-square, 3 degrees of freedom, p = 0.001 (a fixed seed: it cannot flake)
    for c, k in weights.items():  # and each share within 4 standard deviations of its weight
        p = k / total
        assert abs(counts[c] - n * p) < 4 * (n * p * (1 - p)) ** 0.5


@given(st.lists(st.integers(0, 5), min_size=1, max_size=5), st.integers(0, 60))
def test_no_prize_beyond_its_quantity(quantities, draws):
    table = tuple(w.Slot(f"p{i}", i + 1, q) for i, q in enumerate(quantities))
    won: dict[str, int] = {}
    for i in range(draws):
        if not w.in_force(table):
            with pytest.raises(StateError):
                w.pick(w.draw_digest(SEED, str(i), "n"), table)
            break
        code = w.pick(w.draw_digest(SEED, str(i), "n"), table)
        won[code] = won.get(code, 0) + 1
        table = w.after(table, code)
    for i, q in enumerate(quantities):
        assert won.get(f"p{i}", 0) <= q
    assert all(s.left >= 0 for s in table)


def _log(n: int) -> tuple[tuple[w.Slot, ...], list[w.LoggedDraw]]:
    initial = (w.Slot("a", 1, 3), w.Slot("b", 2, 50))
    table, out = initial, []
    for i in range(1, n + 1):
        d = w.draw_digest(SEED, f"id{i}", f"{i:016x}")
        code = w.pick(d, table)
        left = w.after(table, code)
        out.append(w.LoggedDraw(i, f"id{i}", f"{i:016x}", d.hex(), code, table, left))
        table = left
    return initial, out


def test_verify_recomputes_and_names_the_draw_that_differs():
    initial, log = _log(30)
    committed = w.commitment(SEED)
    assert w.verify(SEED, committed, initial, log) == []
    assert w.verify(b"other", committed, initial, log)[0].reason == "commitment"
    d = log[11]
    forged = w.LoggedDraw(d.seq, d.draw_id, d.nonce, d.digest_hex, "a" if d.prize_code == "b" else "b", d.table,
                          d.left_after)
    bad = w.verify(SEED, committed, initial, [*log[:11], forged, *log[12:]])
    assert {m.seq for m in bad} == {12}


PRIZE = st.builds(w.Prize, code=st.sampled_from(["x"]), tier=st.just("一等奖"), name=st.just("n"),
                  kind=st.sampled_from(w.PRIZE_KINDS), ref=st.just(""), points=st.integers(0, 5),
                  value_fen=st.integers(0, 100), weight=st.integers(1, 5), quantity=st.integers(0, 10))


@given(PRIZE, PRIZE)
def test_a_published_wheel_cannot_be_made_less_favourable(old, new):
    same_terms = (old.tier, old.name, old.kind, old.ref, old.points, old.value_fen, old.weight) == (
        new.tier, new.name, new.kind, new.ref, new.points, new.value_fen, new.weight)
    if same_terms and new.quantity >= old.quantity:
        added = w.check_amendment([old], [new])
        assert added == ({"x": new.quantity - old.quantity} if new.quantity > old.quantity else {})
    else:
        with pytest.raises(StateError):
            w.check_amendment([old], [new])


def test_streaks_across_month_and_year_ends():
    rules = pr.CheckinRules(5, (pr.StreakBonus(7, 20), pr.StreakBonus(30, 100, 1)))
    day, streak, last = date(2026, 12, 20), 0, None
    outs = []
    for _ in range(31):  # 12-20 .. 01-19: over the year end and a month end
        o = pr.checkin(rules, last, streak, day)
        outs.append(o)
        last, streak, day = day, o.streak, day + timedelta(days=1)
    assert [o.streak for o in outs] == list(range(1, 32))
    assert [(o.streak, o.bonus_points, o.tickets) for o in outs if o.bonus_points] == [(7, 20, 0), (30, 100, 1)]
    assert pr.next_streak(date(2027, 2, 28), 4, date(2027, 3, 1)) == 5  # February's end
    assert pr.next_streak(date(2027, 2, 27), 4, date(2027, 3, 1)) == 1  # a day missed
    with pytest.raises(StateError):
        pr.next_streak(date(2027, 3, 1), 4, date(2027, 3, 1))


LOTS = st.lists(st.tuples(st.integers(0, 400), st.integers(1, 400), st.integers(0, 50)), max_size=8)


@given(LOTS, st.integers(1, 500), st.integers(0, 800))
def test_spending_takes_closest_to_expiry_first_and_never_expired(spec, want, today_off):
    base = date(2026, 1, 1)
    today = base + timedelta(days=today_off)
    lots = [pr.PointsLot(f"l{i}", base + timedelta(days=e), base + timedelta(days=e + life), rem)
            for i, (e, life, rem) in enumerate(spec)]
    have = pr.available_points(lots, today)
    if want > have:
        with pytest.raises(InsufficientFunds):
            pr.spend_points(lots, want, today)
        return
    takes = pr.spend_points(lots, want, today)
    assert sum(t.points for t in takes) == want
    by_id = {lot.lot_id: lot for lot in lots}
    taken = [by_id[t.lot_id] for t in takes]
    assert all(lot.expires_on > today and t.points <= lot.remaining for lot, t in zip(taken, takes, strict=True))
    # every lot fully used before a later-expiring one is touched
    for a, b in zip(taken, taken[1:], strict=False):
        assert a.expires_on <= b.expires_on
    for t, lot in zip(takes[:-1], taken[:-1], strict=True):
        assert t.points == lot.remaining
    untouched = [x for x in pr.usable(lots, today) if x.lot_id not in {t.lot_id for t in takes}]
    assert all(x.expires_on >= taken[-1].expires_on for x in untouched)
    # expiry takes only what is left in lots whose day has come, never what was spent
    assert all(x.expires_on <= today for x in pr.expiring(lots, today))
