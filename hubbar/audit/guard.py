"""The audit log is append-only: the app refuses to change or delete an event, and so does the
database (triggers created by migration 0007, whose SQL is the text below, copied there).

One change is allowed: ``actor_id`` becoming NULL, which is what the database itself does when
an account is erased (the foreign key is ON DELETE SET NULL); the event stays, without the
person. Anything else needs the deliberate maintenance switch (:func:`maintenance`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session

TABLE = "audit_events"
MESSAGE = "audit_events is append-only"

# --- the database's guard (copied into migrations/versions/0007_privacy_security.py) ---------

# PostgreSQL: one trigger function for UPDATE, DELETE and TRUNCATE. A row may change only by
# losing its actor; comparing the rows as jsonb covers every column (also ``changes``, a json
# column without an = operator, and any column added later). The maintenance switch is a
# setting that an operator sets on purpose, for one transaction:
#     SET LOCAL hubbar.audit_maintenance = 'on';
POSTGRES_CREATE = (
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hubbar.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
            AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'An event may only lose its actor (an erased account).';
END;
$$""",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
)

# SQLite: no settings, so no switch; maintenance drops the triggers and creates them again in
# the same transaction (SQLite's DDL is transactional, and it has one writer at a time). The
# update trigger names every column: a column added to audit_events must be added here too.
SQLITE_CREATE = (
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END",
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "WHEN NEW.actor_id IS NOT NULL OR NEW.id IS NOT OLD.id "
    "OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.action IS NOT OLD.action "
    "OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id "
    "OR NEW.summary IS NOT OLD.summary OR NEW.changes IS NOT OLD.changes "
    "OR NEW.by_system IS NOT OLD.by_system "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)

CREATE = {"postgresql": POSTGRES_CREATE, "sqlite": SQLITE_CREATE}
DROP = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}


@contextmanager
def maintenance(connection: Connection) -> Iterator[None]:
    """Let the block change or delete audit events, inside the connection's open transaction
    (the switch ends with it). For deliberate maintenance and for emptying the tables between
    tests; the app itself never calls this."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SET LOCAL hubbar.audit_maintenance = 'on'"))
        yield
        connection.execute(text("SET LOCAL hubbar.audit_maintenance = 'off'"))
    elif dialect == "sqlite":
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE, so the
        # DROP TRIGGER would commit at once; begin explicitly, so that a failure in the block
        # rolls the drop back too and no other writer ever sees the table unguarded.
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")
        for statement in SQLITE_DROP:
            connection.execute(text(statement))
        yield
        for statement in SQLITE_CREATE:
            connection.execute(text(statement))
    else:  # pragma: no cover - hubbar runs on SQLite and PostgreSQL only
        yield


# --- the app's guard ---------------------------------------------------------------------------


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event through the ORM: a bug, never
    a user's mistake."""


def protect(model: type) -> None:
    """Refuse, before anything reaches the database, a flush that changes or deletes ``model``
    rows (other than unlinking the actor) and bulk UPDATE or DELETE statements on its table."""

    def only_unlinks_actor(obj) -> bool:
        for attr in inspect(obj).attrs:
            history = attr.history
            if not history.has_changes():
                continue
            if attr.key not in ("actor_id", "actor") or any(v is not None for v in history.added):
                return False
        return True

    def before_flush(session: Session, flush_context, instances) -> None:
        for obj in session.deleted:
            if isinstance(obj, model):
                raise AuditLogIsAppendOnly(f"{MESSAGE}: an event cannot be deleted")
        for obj in session.dirty:
            if isinstance(obj, model) and session.is_modified(obj) and not only_unlinks_actor(obj):
                raise AuditLogIsAppendOnly(f"{MESSAGE}: an event cannot be changed")

    def do_orm_execute(state: ORMExecuteState) -> None:
        if not (state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) == TABLE:
            raise AuditLogIsAppendOnly(f"{MESSAGE}: no bulk UPDATE or DELETE of events")

    event.listen(Session, "before_flush", before_flush)
    event.listen(Session, "do_orm_execute", do_orm_execute)
