"""A round's batch and page sizes come from the store settings, within what central takes."""

from __future__ import annotations

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.services import sync


def test_sizes_default_to_the_most_a_push_takes_and_refuse_what_central_would() -> None:
    assert sync.round_sizes({}) == (sync.PUSH_BATCH, sync.PULL_PAGE) == (1000, 2000)
    assert sync.round_sizes({"sync_push_batch": 50, "sync_pull_page": 5000}) == (50, 5000)
    for bad in ({"sync_push_batch": 0}, {"sync_push_batch": 1001}, {"sync_pull_page": 5001},
                {"sync_pull_page": "500"}, {"sync_push_batch": True}):
        with pytest.raises(InvalidInput) as got:
            sync.round_sizes(bad)
        assert got.value.key == "sync.setting_invalid"
