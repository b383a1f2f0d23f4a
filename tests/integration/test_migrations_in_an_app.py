"""An app with its own Flask-Migrate history adds the auth tables' revisions from the wheel.

The app (a ``notes`` table) is made as people make one: ``flask db init``, ``flask db
migrate``, ``flask db upgrade``, on PostgreSQL, with Flask-Migrate and flask-authadapter
installed from the wheel. Then it creates ``SQLAlchemyAdapter(db)``, its ``alembic.ini``
gets the README's lines and the README's commands run: both histories are applied, side by
side, and the app's own autogenerate finds nothing left to do. Then the two ways on that
the README gives: the app's next revision on its own head, and a merge of the heads.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from flask_authadapter.adapters.sqlalchemy import TABLE_NAMES
from tests.integration.installed import REPO, Installed, installed_wheel, readme_block
from tests.test_migrations import head_revision

__all__ = ["installed_wheel"]

NOTES_APP = """\
import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Note(db.Model):
    __tablename__ = "notes"
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.Text, nullable=False)


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)
Migrate(app, db)
"""

WITH_AUTH = """
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter

adapter = SQLAlchemyAdapter(db)
"""

TEXT_COLUMN = "    text = db.Column(db.Text, nullable=False)\n"
TITLE_COLUMN = "    title = db.Column(db.String(200))\n"

_HEAD = re.compile(r"^(\w+)( \(authadapter\))? \(head\)$", re.M)


def readme_commands() -> list[list[str]]:
    """The README's migration commands, without their comments."""
    lines = (
        line.split("#", 1)[0].strip() for line in readme_block("migrations:commands").split("\n")
    )
    return [line.split() for line in lines if line]


def add_version_locations(alembic_ini: Path) -> None:
    """Put the README's lines under ``[alembic]``, as the README says."""
    text = alembic_ini.read_text(encoding="utf-8")
    assert text.count("[alembic]\n") == 1
    alembic_ini.write_text(
        text.replace("[alembic]\n", "[alembic]\n" + readme_block("migrations:alembic.ini")),
        encoding="utf-8",
    )


def schema(url: str) -> dict[str, set[str]]:
    """Each table of the database, with its columns' names."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    return set(schema(url))


def test_the_wheel_holds_the_revisions(installed_wheel: Installed) -> None:
    with zipfile.ZipFile(installed_wheel.wheel) as wheel:
        shipped = {
            Path(name).name
            for name in wheel.namelist()
            if name.startswith("flask_authadapter/migrations/versions/")
        }
    in_repo = {path.name for path in (REPO / "flask_authadapter/migrations/versions").glob("*.py")}
    assert in_repo
    assert shipped == in_repo


@pytest.mark.postgres
def test_an_app_with_its_own_history_adds_the_auth_branch(
    installed_wheel: Installed, make_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    url = make_database("postgres", "integration_notes_app")
    app = tmp_path / "notes_app"
    app.mkdir()
    (app / "notes.py").write_text(NOTES_APP, encoding="utf-8")

    def flask(*args: str) -> str:
        return installed_wheel.run(["flask", "--app", "notes", *args], cwd=app, DATABASE_URL=url)

    # The app's own history: one revision, its table.
    flask("db", "init")
    flask("db", "migrate", "-m", "notes")
    flask("db", "upgrade")
    (own_head,) = [head for head, label in _HEAD.findall(flask("db", "heads")) if not label]
    assert tables(url) == {"notes", "alembic_version"}

    # Adding flask-authadapter as the README says.
    (app / "notes.py").write_text(NOTES_APP + WITH_AUTH, encoding="utf-8")
    add_version_locations(app / "migrations" / "alembic.ini")
    commands = readme_commands()
    assert ["flask", "db", "upgrade", "authadapter@head"] in commands
    outputs = [flask(*command[1:]) for command in commands]

    assert tables(url) == {"notes", *TABLE_NAMES, "alembic_version"}
    # Two heads: the app's, and the newest auth revision with its branch label.
    heads = dict(_HEAD.findall(flask("db", "heads")))
    assert heads == {own_head: "", head_revision(): " (authadapter)"}
    assert "(authadapter) (head)" in "".join(outputs)
    # Both are applied, and the app's autogenerate sees no difference.
    current = flask("db", "current")
    assert all(head in current for head in heads)
    assert "No new upgrade operations detected" in flask("db", "check")

    # The app's next revision, on its own head; `upgrade heads` applies it.
    (app / "notes.py").write_text(
        NOTES_APP.replace(TEXT_COLUMN, TEXT_COLUMN + TITLE_COLUMN) + WITH_AUTH, encoding="utf-8"
    )
    flask("db", "migrate", "-m", "title", "--head", own_head)
    flask("db", "upgrade", "heads")
    assert "title" in schema(url)["notes"]
    assert len(_HEAD.findall(flask("db", "heads"))) == 2

    # Or one merge, after which a plain `flask db upgrade` works again.
    flask("db", "merge", "heads", "-m", "merge flask-authadapter")
    flask("db", "upgrade")
    assert len(_HEAD.findall(flask("db", "heads"))) == 1
    assert tables(url) == {"notes", *TABLE_NAMES, "alembic_version"}
