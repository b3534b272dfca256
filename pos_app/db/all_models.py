"""Import every model module so ``Base.metadata`` is complete (Alembic and tests use this).

Each feature area keeps its models in its own module and adds one import line here."""

from pos_app.db import models  # noqa: F401, I001  (one line per feature module, on purpose)
from pos_app.db import models_coupons  # noqa: F401
from pos_app.db import models_gifts  # noqa: F401
from pos_app.db import models_checkout  # noqa: F401
from pos_app.db import models_sync  # noqa: F401
from pos_app.db import models_reports  # noqa: F401
from pos_app.db import models_points  # noqa: F401
from pos_app.db import models_levels  # noqa: F401
from pos_app.db import models_mall  # noqa: F401
from pos_app.db import models_dash  # noqa: F401
from pos_app.db.base import Base

metadata = Base.metadata
