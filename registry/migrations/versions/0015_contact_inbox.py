"""contact messages answered from the back-office: sealed reply addresses, handling, replies

Revision ID: 0015_contact_inbox
Revises: 0014_lookup_journal
Create Date: 2026-12-08

``registry.contact``: the reply address is now kept sealed (AES-GCM under ``CONTACT_KEY``, which
a migration cannot read): ``reply_to_sealed`` and its key id join the table, and the addresses
kept in clear until now are sealed by the next delivery or ``purge-contact-messages``, which
empty the old ``reply_to`` column. ``handled_at`` says when an agent handled a message (an
unhandled message is never purged); ``contact_replies`` keeps each reply and whether it was sent.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_contact_inbox"
down_revision = "0014_lookup_journal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_messages") as batch:
        batch.add_column(sa.Column("reply_to_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("reply_to_key_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_contact_messages_handled_at"), ["handled_at"])
    op.create_table(
        "contact_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["contact_messages.id"],
                                name=op.f("fk_contact_replies_message_id_contact_messages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_replies")),
    )
    op.create_index(op.f("ix_contact_replies_message_id"), "contact_replies", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_replies_message_id"), table_name="contact_replies")
    op.drop_table("contact_replies")
    with op.batch_alter_table("contact_messages") as batch:
        batch.drop_index(batch.f("ix_contact_messages_handled_at"))
        batch.drop_column("handled_at")
        batch.drop_column("reply_to_key_id")
        batch.drop_column("reply_to_sealed")
