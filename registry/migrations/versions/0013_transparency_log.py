"""the public transparency log: a Merkle tree over every audit event, and its signed checkpoints

Revision ID: 0013_transparency_log
Revises: 0012_job_results
Create Date: 2026-12-05

Every audit event becomes a leaf of an RFC 9162 tree kept as tiles (``registry.log_tree``):
the events recorded before this revision are added as leaves here, in order, without rewriting
any of them. Each opposition version learns the ``seq`` of its event (``audit_seq``), so a
receipt finds its leaf. Checkpoints are signed on demand once the portal runs.
"""

import datetime as dt
import json
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

revision = "0013_transparency_log"
down_revision = "0012_job_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tile", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "tile", name=op.f("pk_log_tiles")),
    )
    op.create_table(
        "log_pending_hashes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name=op.f("pk_log_pending_hashes")),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoints")),
    )
    with op.batch_alter_table("opposition_versions") as batch:
        batch.add_column(sa.Column("audit_seq", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_opposition_versions_audit_seq"), ["audit_seq"])
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    """Add the existing events as leaves, streaming, and point each version at its event."""
    from registry.audit import leaf_bytes
    from registry.log_tree import build, leaf_hash

    receipts: dict[str, int] = {}

    def leaves():
        rows = connection.execute(sa.text(
            "SELECT seq, occurred_at, action, details, hash FROM audit_events ORDER BY seq"
        ).columns(occurred_at=sa.DateTime).execution_options(yield_per=10_000))
        for expected, row in enumerate(rows, 1):
            if row.seq != expected:
                raise RuntimeError(f"audit event {expected} is missing: run verify-audit before migrating")
            event = SimpleNamespace(seq=row.seq, action=row.action, details=row.details, hash=row.hash,
                                    occurred_at=row.occurred_at.replace(tzinfo=dt.timezone.utc))
            if row.action.startswith("opposition."):
                receipt = json.loads(row.details).get("receipt")
                if receipt:
                    receipts[receipt] = row.seq
            yield leaf_hash(leaf_bytes(event))

    build(connection, list(leaves()) if connection.dialect.name == "sqlite" else leaves())
    update = sa.text("UPDATE opposition_versions SET audit_seq = :seq WHERE receipt_reference = :receipt")
    pairs = [{"seq": seq, "receipt": receipt} for receipt, seq in receipts.items()]
    for start in range(0, len(pairs), 10_000):
        connection.execute(update, pairs[start:start + 10_000])


def downgrade() -> None:
    with op.batch_alter_table("opposition_versions") as batch:
        batch.drop_constraint(op.f("uq_opposition_versions_audit_seq"), type_="unique")
        batch.drop_column("audit_seq")
    op.drop_table("log_checkpoints")
    op.drop_table("log_pending_hashes")
    op.drop_table("log_tiles")
