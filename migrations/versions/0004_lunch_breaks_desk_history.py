"""Lunch breaks in opening hours; desk history for past capacity

Revision ID: 0004_lunch_breaks_desk_history
Revises: 0003_api_tokens
Create Date: 2026-11-24 14:12:19.889434

"""
import json

from alembic import op
import sqlalchemy as sa

import hubbar.db  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0004_lunch_breaks_desk_history'
down_revision = '0003_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inactive_since', hubbar.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.add_column(sa.Column('break_starts', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('break_ends', sa.Time(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_opening_hours_break_both_or_neither'),
            '(break_starts IS NULL AND break_ends IS NULL) OR '
            '(break_starts IS NOT NULL AND break_ends IS NOT NULL)',
        )
        batch_op.create_check_constraint(
            op.f('ck_opening_hours_break_within_opening_hours'),
            'break_starts IS NULL OR '
            '(opens < break_starts AND break_starts < break_ends AND break_ends < closes)',
        )

    _date_inactive_desks()


def _date_inactive_desks():
    """A desk already inactive became so at its last audited deactivation, or (created
    inactive, or never audited) when it was created."""
    conn = op.get_bind()
    desks = sa.table(
        'desks',
        sa.column('id', sa.Integer),
        sa.column('active', sa.Boolean),
        sa.column('created_at', hubbar.db.UTCDateTime(timezone=True)),
        sa.column('inactive_since', hubbar.db.UTCDateTime(timezone=True)),
    )
    events = sa.table(
        'audit_events',
        sa.column('object_type', sa.String),
        sa.column('object_id', sa.Integer),
        sa.column('action', sa.String),
        sa.column('occurred_at', hubbar.db.UTCDateTime(timezone=True)),
        sa.column('changes', sa.JSON),
    )
    inactive = conn.execute(
        sa.select(desks.c.id, desks.c.created_at).where(desks.c.active == sa.false())
    ).all()
    for desk_id, created_at in inactive:
        since = created_at
        for occurred_at, changes in conn.execute(
            sa.select(events.c.occurred_at, events.c.changes)
            .where(
                events.c.object_type == 'Desk',
                events.c.object_id == desk_id,
                events.c.action == 'desk.update',
            )
            .order_by(events.c.occurred_at.desc())
        ):
            if isinstance(changes, str):
                changes = json.loads(changes)
            if (changes or {}).get('active') == [True, False]:
                since = occurred_at
                break
        conn.execute(
            desks.update().where(desks.c.id == desk_id).values(inactive_since=since)
        )


def downgrade():
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_opening_hours_break_within_opening_hours'), type_='check')
        batch_op.drop_constraint(op.f('ck_opening_hours_break_both_or_neither'), type_='check')
        batch_op.drop_column('break_ends')
        batch_op.drop_column('break_starts')

    with op.batch_alter_table('desks', schema=None) as batch_op:
        batch_op.drop_column('inactive_since')
