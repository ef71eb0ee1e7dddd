"""Alembic environment: run migrations on the engine handed over by ``registry.db``."""

from alembic import context

from registry import (  # noqa: F401  (their tables join the metadata)
    account_data, accounts, checkpoints, contact, daily_filings, jobs, log_tree, lookup_journal, persons, private_quota,
    session_store, staff, statistics, transparency, warehouses,
)
from registry.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
