"""create auth tables

Revision ID: 2514ceb6c992
Revises:
Create Date: 2026-11-23 01:48:13

The four default tables of flask-authadapter: users, accounts, sessions and
verification_tokens. Written by hand with plain types (no import of the package's
models), so this revision stays the same whatever the models become later.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "2514ceb6c992"
down_revision = None
branch_labels = ("authadapter",)
depends_on = None


def utc_datetime():
    """A time zone aware timestamp; DATETIME(6) (microseconds) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_verified", utc_datetime(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("provider_account_id", sa.String(length=255), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("token_type", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("session_state", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "provider", "provider_account_id", name="uq_accounts_provider_account_id"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_accounts_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_accounts_user_id", "accounts", ["user_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("session_token", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("expires", utc_datetime(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_token"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)
    op.create_index("ix_sessions_expires", "sessions", ["expires"], unique=False)
    op.create_table(
        "verification_tokens",
        sa.Column("identifier", sa.String(length=320), nullable=False),
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("expires", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("identifier", "token", name="pk_verification_tokens"),
    )
    op.create_index(
        "ix_verification_tokens_expires", "verification_tokens", ["expires"], unique=False
    )


def downgrade():
    # Children first. Their indexes go with the tables: dropping ix_*_user_id on its own
    # first would fail on MariaDB/MySQL, where it backs the foreign key.
    op.drop_table("verification_tokens")
    op.drop_table("sessions")
    op.drop_table("accounts")
    op.drop_table("users")
