"""The migrations build exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import campaigns.learning_models  # noqa: F401  (registers the literacy tables)
import campaigns.models  # noqa: F401  (registers the campaign tables)
from registry.models import Base


def test_migrations_match_the_models(shared_engine):
    with shared_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
