"""sessions: created_at may be NULL

Revision ID: e3a1f7c48b05
Revises: 7c1e5a9d2f40
Create Date: 2026-12-04 17:30:00

A session's ``created_at`` is optional in the adapter contract (an app may create sessions
without it); the column now allows NULL on every database. Downgrading makes it NOT NULL
again, which fails while a row holds NULL: give those rows a value first.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "e3a1f7c48b05"
down_revision = "7c1e5a9d2f40"
branch_labels = None
depends_on = None


def utc_datetime():
    """A time zone aware timestamp; DATETIME(6) (microseconds) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def sessions_table(created_at_nullable):
    """The sessions table as revision 7c1e5a9d2f40 left it, with ``created_at`` as given:
    SQLite rebuilds the table from it (no reflection, so ``--sql`` works there too)."""
    return sa.Table(
        "sessions",
        sa.MetaData(),
        sa.Column("session_token", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("expires", utc_datetime(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=created_at_nullable),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("signed_in_with", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_token"),
        sa.Index("ix_sessions_user_id", "user_id"),
        sa.Index("ix_sessions_expires", "expires"),
    )


def set_created_at_nullable(nullable):
    with op.batch_alter_table("sessions", copy_from=sessions_table(not nullable)) as batch:
        batch.alter_column("created_at", existing_type=utc_datetime(), nullable=nullable)


def upgrade():
    set_created_at_nullable(True)


def downgrade():
    set_created_at_nullable(False)
