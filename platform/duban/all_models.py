"""Import every model module so the metadata is complete (create_all, Alembic autogenerate)."""
from .campaigns import models as campaigns  # noqa: F401
from .evidence import models as evidence  # noqa: F401
from .lists import models as lists  # noqa: F401
from .reports import models as reports  # noqa: F401
from .tasks import models as tasks  # noqa: F401
from .tenancy import models as tenancy  # noqa: F401
from .audit import models as audit  # noqa: F401
from .surveys import models as surveys  # noqa: F401
from .ledgers import models as ledgers  # noqa: F401
from .screening import models as screening  # noqa: F401
from .notifications import models as notifications  # noqa: F401
from .supervision import models as supervision  # noqa: F401
from .evaluations import models as evaluations  # noqa: F401
from .plandraft import models as plandraft  # noqa: F401
