"""sessions: how each session was signed in

Revision ID: 7c1e5a9d2f40
Revises: 2514ceb6c992
Create Date: 2026-12-04 17:00:00

``sessions.signed_in_with`` says how a session was signed in ("email", or
"<provider>:<provider account id>"), so that unlinking a provider account ends the sessions
that were signed in through it. Existing sessions get NULL (unknown): unlinking then ends
all of that user's other sessions.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e5a9d2f40"
down_revision = "2514ceb6c992"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("signed_in_with", sa.String(length=320), nullable=True))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("signed_in_with")
