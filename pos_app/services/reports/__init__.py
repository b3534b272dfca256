"""What managers watch (issue 14), as reports to screen, PDF, CSV and XLSX:

- :mod:`.liability`: the prepaid liability for a period (single-purpose prepaid card rules);
- :mod:`.shift`: a cashier's shift (交班): open with a float, close with the cash counted;
- :mod:`.sales`: daily sales by payment method and by category.

Every figure is read through ``pos_app.db.repo.reports`` (the only place with their SQL); periods are
store-local days, both included (:func:`period`, from ``pos_app.domain.periods``, which head office's reports
on the central server share)."""

from __future__ import annotations

from pos_app.domain.periods import MAX_DAYS, day_start, local_day, period

__all__ = ["MAX_DAYS", "day_start", "local_day", "period"]
