"""an opposition change cannot skip its version: the database refuses it

Revision ID: 0019_version_guard
Revises: 0018_access_requests
Create Date: 2026-12-05

The lookups' membership index (``registry.membership``) sees a change of a person's opposition
only through the version written with it, and on PostgreSQL only if that version was numbered
under the audit chain's lock. ``registry.oppositions._new_version`` is the one function that
does both; these triggers make any other path fail instead of silently leaving the index behind:

- a subject's ``opposed_purposes`` or ``current_version`` may change only to the next version
  number, and only once the version row of that number, with that mask, is written;
- on PostgreSQL, a version row may be written only by a transaction holding the chain's advisory
  lock (``registry.audit.lock_chain``: a single bigint key, so classid 0 and objsubid 1).
"""

from alembic import op

revision = "0019_version_guard"
down_revision = "0018_access_requests"
branch_labels = None
depends_on = None

CHAIN_LOCK_ID = 0x52_4E_4F_41  # registry.audit's chain lock; a test files on PostgreSQL through it
MESSAGE = "registry: an opposition change writes its version first, under the chain lock"

SQLITE_SUBJECTS = f"""
CREATE TRIGGER subjects_change_needs_version
BEFORE UPDATE OF opposed_purposes, current_version ON subjects
WHEN NEW.opposed_purposes IS NOT OLD.opposed_purposes OR NEW.current_version IS NOT OLD.current_version
BEGIN
  SELECT RAISE(ABORT, '{MESSAGE}')
  WHERE NEW.current_version IS NOT OLD.current_version + 1
     OR NOT EXISTS (SELECT 1 FROM opposition_versions
                    WHERE subject_id = NEW.id AND version = NEW.current_version
                      AND purposes_mask = NEW.opposed_purposes);
END
"""

POSTGRES_FUNCTIONS = f"""
CREATE FUNCTION subjects_change_needs_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.opposed_purposes IS DISTINCT FROM OLD.opposed_purposes
      OR NEW.current_version IS DISTINCT FROM OLD.current_version)
     AND (NEW.current_version IS DISTINCT FROM OLD.current_version + 1
          OR NOT EXISTS (SELECT 1 FROM opposition_versions
                         WHERE subject_id = NEW.id AND version = NEW.current_version
                           AND purposes_mask = NEW.opposed_purposes)) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION versions_need_chain_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                   AND classid = 0 AND objid = {CHAIN_LOCK_ID} AND objsubid = 1) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER subjects_change_needs_version BEFORE UPDATE OF opposed_purposes, current_version ON subjects
  FOR EACH ROW EXECUTE FUNCTION subjects_change_needs_version();
CREATE TRIGGER versions_need_chain_lock BEFORE INSERT ON opposition_versions
  FOR EACH ROW EXECUTE FUNCTION versions_need_chain_lock();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTIONS)
    else:
        op.execute(SQLITE_SUBJECTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER versions_need_chain_lock ON opposition_versions")
        op.execute("DROP TRIGGER subjects_change_needs_version ON subjects")
        op.execute("DROP FUNCTION versions_need_chain_lock()")
        op.execute("DROP FUNCTION subjects_change_needs_version()")
    else:
        op.execute("DROP TRIGGER subjects_change_needs_version")
