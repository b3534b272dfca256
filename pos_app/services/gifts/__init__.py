"""Physical gift stock: the package's public use cases (split by job in the next step)."""

from pos_app.services.gifts.common import *  # noqa: F403
