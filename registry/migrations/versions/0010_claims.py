"""oppositions held as claims, one per holder; persons bound to the first identity that proved them

Revision ID: 0010_claims
Revises: 0009_daily_statistics
Create Date: 2026-12-04

Before this revision an account was linked to the people it filed for (``account_subjects``)
and any version replaced the whole opposition, whoever wrote it. The migration replays every
person's versions in order under the new rules: each version sets the claim of the holder that
wrote it (its account, or the agent's channel), so a holder keeps what it filed however someone
else changed the opposition afterwards. The person's opposition in force becomes the union of
those claims: never less than before, and more only where someone other than a holder narrowed
or withdrew what that holder had filed (a weakening the new rules forbid). Such a person gets a
``restored`` version, audited, and counted in the statistics. Migrated accounts hold claims;
none becomes a proved person (that needs a new proof online or at a counter).
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0010_claims"
down_revision = "0009_daily_statistics"
branch_labels = None
depends_on = None

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def upgrade() -> None:
    op.create_table(
        "opposition_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("proxy_for", sa.String(length=24), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("visible_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_opposition_claims_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opposition_claims")),
        sa.UniqueConstraint("subject_id", "holder", name="uq_opposition_claims_subject_holder"),
    )
    op.create_index("ix_opposition_claims_subject_id", "opposition_claims", ["subject_id"])
    op.create_index("ix_opposition_claims_holder", "opposition_claims", ["holder"])
    op.create_table(
        "person_bindings",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("identity_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash_key_id", sa.String(length=40), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_person_bindings_subject_id_subjects")),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_person_bindings")),
        sa.UniqueConstraint("identity_hash", name=op.f("uq_person_bindings_identity_hash")),
    )
    op.create_table(
        "person_proof_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_person_proof_attempts_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_proof_attempts")),
    )
    op.create_index("ix_person_proof_attempts_subject_id", "person_proof_attempts", ["subject_id"])
    with op.batch_alter_table("opposition_versions") as batch:
        batch.add_column(sa.Column("claim_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claim_mask", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("evidence", sa.String(length=32), nullable=True))
        batch.create_foreign_key(op.f("fk_opposition_versions_claim_id_opposition_claims"), "opposition_claims",
                                 ["claim_id"], ["id"])
        batch.create_index("ix_opposition_versions_claim_id", ["claim_id"])
    migrate_links_and_versions(op.get_bind())
    op.drop_index("ix_account_subjects_subject_id", table_name="account_subjects")
    op.drop_index("ix_account_subjects_account_id", table_name="account_subjects")
    op.drop_table("account_subjects")
    if op.get_bind().dialect.name == "sqlite":
        # Claims name their account (``account:<id>``): SQLite must never give a deleted account's
        # id to a new one, or the newcomer would hold the deleted account's claims.
        with op.batch_alter_table("accounts", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def _holder(filed_by, actor, channel):
    if filed_by and filed_by.startswith("account:"):
        return filed_by
    return f"channel:{channel}"


def _receipt_reference() -> str:
    import secrets

    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "RNO-" + "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def migrate_links_and_versions(connection) -> None:
    """Replay each person's versions into claims; restore what another holder took away."""
    from registry.audit import chain_event as record_event  # the chain as it was then (0013 adds the log)
    from registry.statistics import record_effective_change

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    links = {
        (account_id, subject_id): (relation, proxy_for)
        for account_id, subject_id, relation, proxy_for in connection.execute(sa.text(
            "SELECT account_id, subject_id, relation, proxy_for FROM account_subjects"))
    }
    claims_table = sa.table(
        "opposition_claims", sa.column("id", sa.Integer), sa.column("subject_id", sa.Integer),
        sa.column("holder", sa.String), sa.column("relation", sa.String), sa.column("proxy_for", sa.String),
        sa.column("purposes_mask", sa.Integer), sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    subjects = connection.execute(sa.text(
        "SELECT id, opposed_purposes, current_version FROM subjects WHERE current_version > 0 ORDER BY id")).all()
    versions = connection.execute(sa.text(
        "SELECT id, subject_id, purposes_mask, channel, actor, proxy_for, filed_by, recorded_at "
        "FROM opposition_versions ORDER BY subject_id, version").columns(recorded_at=sa.DateTime)).all()
    by_subject: dict[int, list] = {}
    for row in versions:
        by_subject.setdefault(row.subject_id, []).append(row)
    session = Session(bind=connection)
    restored = 0
    for subject_id, opposed, current_version in subjects:
        held: dict[str, list] = {}  # holder -> [mask, relation, proxy_for, first seen, version ids]
        for row in by_subject.get(subject_id, []):
            holder = _holder(row.filed_by, row.actor, row.channel)
            entry = held.get(holder)
            if entry is None:
                if holder.startswith("account:"):
                    account_id = int(holder.split(":", 1)[1])
                    relation, proxy_for = links.get((account_id, subject_id), (row.actor, row.proxy_for))
                    relation = "proxy" if relation == "proxy" else "self"
                    proxy_for = proxy_for if relation == "proxy" else None
                else:
                    relation, proxy_for = "agent", None
                entry = held[holder] = [0, relation, proxy_for, row.recorded_at, []]
            entry[0] = row.purposes_mask
            entry[4].append((row.id, row.purposes_mask))
        union = 0
        for holder, (mask, relation, proxy_for, first_seen, version_ids) in held.items():
            union |= mask
            claim_id = connection.execute(claims_table.insert().values(
                subject_id=subject_id, holder=holder, relation=relation, proxy_for=proxy_for, purposes_mask=mask,
                created_at=first_seen, updated_at=now,
            ).returning(claims_table.c.id)).scalar_one()
            connection.execute(
                sa.text("UPDATE opposition_versions SET claim_id = :claim, claim_mask = :mask WHERE id = :id"),
                [{"claim": claim_id, "mask": version_mask, "id": version_id} for version_id, version_mask in version_ids],
            )
        if union != opposed:  # someone took away what a holder had filed: give it back
            restored += 1
            reference = _receipt_reference()
            connection.execute(sa.text(
                "INSERT INTO opposition_versions (subject_id, version, action, purposes_mask, channel, actor, "
                "proxy_for, filed_by, effective_at, recorded_at, receipt_reference) VALUES (:subject, :version, "
                "'restored', :mask, 'registry', 'registry', NULL, 'migration:0010', :now, :now, :reference)"),
                {"subject": subject_id, "version": current_version + 1, "mask": union, "now": now,
                 "reference": reference})
            connection.execute(sa.text(
                "UPDATE subjects SET opposed_purposes = :mask, current_version = :version, updated_at = :now "
                "WHERE id = :subject"),
                {"mask": union, "version": current_version + 1, "now": now, "subject": subject_id})
            aware = now.replace(tzinfo=dt.timezone.utc)
            record_effective_change(session, None, opposed, union, aware, ever_opposed=True)
            record_event(session, action="opposition.restored", actor="migration:0010",
                         target=f"subject:{subject_id}",
                         details={"version": current_version + 1, "reason": "weakened_by_another_holder",
                                  "receipt": reference})
    session.flush()
    if subjects:
        record_event(session, action="registry.claims_migrated", actor="migration:0010", target=None,
                     details={"subjects": len(subjects), "restored": restored})
        session.flush()
    session.close()


def downgrade() -> None:
    op.create_table(
        "account_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("proxy_for", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_account_subjects_account_id_accounts")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_account_subjects_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_subjects")),
        sa.UniqueConstraint("account_id", "subject_id", name="uq_account_subjects_account_subject"),
    )
    op.create_index("ix_account_subjects_account_id", "account_subjects", ["account_id"])
    op.create_index("ix_account_subjects_subject_id", "account_subjects", ["subject_id"])
    op.execute(
        "INSERT INTO account_subjects (account_id, subject_id, relation, proxy_for, created_at) "
        "SELECT CAST(SUBSTR(holder, 9) AS INTEGER), subject_id, relation, proxy_for, created_at "
        "FROM opposition_claims WHERE holder LIKE 'account:%' AND relation IN ('self', 'proxy')"
    )
    with op.batch_alter_table("opposition_versions") as batch:
        batch.drop_index("ix_opposition_versions_claim_id")
        batch.drop_constraint(op.f("fk_opposition_versions_claim_id_opposition_claims"), type_="foreignkey")
        batch.drop_column("evidence")
        batch.drop_column("claim_mask")
        batch.drop_column("claim_id")
    op.drop_index("ix_person_proof_attempts_subject_id", table_name="person_proof_attempts")
    op.drop_table("person_proof_attempts")
    op.drop_table("person_bindings")
    op.drop_index("ix_opposition_claims_holder", table_name="opposition_claims")
    op.drop_index("ix_opposition_claims_subject_id", table_name="opposition_claims")
    op.drop_table("opposition_claims")
