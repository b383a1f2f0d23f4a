"""Alembic environment for flask-authadapter's tables, in Flask-Migrate's layout.

Two ways in:

* Through Flask-Migrate (``flask db upgrade``, ``flask_migrate.upgrade()``): inside the app
  context, the engine, metadata and context options come from the app's ``Migrate``
  extension, exactly as in Flask-Migrate's own template.
* Plain Alembic (``alembic -c migrations/alembic.ini upgrade head``, or
  ``alembic.command.upgrade(config, "head")``): no Flask app is needed. The database URL
  comes from ``-x url=...``, else ``sqlalchemy.url`` in the config, else the
  ``DATABASE_URL`` environment variable; the target metadata is the default models'.

Programmatic callers may set ``config.attributes["configure_logger"] = False`` to keep
this file from applying alembic.ini's logging configuration to their process.
"""

from __future__ import annotations

import logging
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import MetaData, create_engine, pool
from sqlalchemy.engine import Engine, make_url

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging. This line sets up loggers basically;
# existing loggers (the app's, a test runner's) are left enabled.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def _flask_migrate() -> Any | None:
    """Flask-Migrate's per-app config when running inside a Flask app context, else None."""
    try:
        from flask import current_app, has_app_context
    except ImportError:  # Flask not installed: plain Alembic
        return None
    if not has_app_context():
        return None
    return current_app.extensions.get("migrate")


migrate_config = _flask_migrate()


# --------------------------------------------------------------------------- #
# Through Flask-Migrate: the app's db (as in Flask-Migrate's template)
# --------------------------------------------------------------------------- #


def _flask_engine() -> Engine:
    db = migrate_config.db
    # Flask-SQLAlchemy (any version): db.engine; Flask-SQLAlchemy 3.1 deprecates the
    # get_engine() that Flask-Migrate's template tries first, so it is only the fallback
    # here (Alchemical and other db objects without an engine attribute).
    engine = getattr(db, "engine", None)
    return engine if engine is not None else db.get_engine()


def _flask_engine_url() -> str:
    try:
        url = _flask_engine().url.render_as_string(hide_password=False)
    except AttributeError:
        url = str(_flask_engine().url)
    return url.replace("%", "%%")


def _flask_metadata() -> MetaData:
    target_db = migrate_config.db
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


# --------------------------------------------------------------------------- #
# Plain Alembic: a URL and the default models
# --------------------------------------------------------------------------- #


def _standalone_url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
    )
    if not url:
        raise RuntimeError(
            "no database URL: run through Flask-Migrate (flask db upgrade), or give one "
            "with -x url=..., sqlalchemy.url in alembic.ini, or DATABASE_URL"
        )
    return url


def _standalone_metadata() -> MetaData:
    from flask_authadapter.adapters.sqlalchemy import default_models

    return default_models(MetaData()).user.metadata


def _standalone_options(dialect_name: str) -> dict[str, Any]:
    return {
        "compare_type": True,
        # SQLite cannot ALTER most things: autogenerate "move and copy" batch operations.
        "render_as_batch": dialect_name == "sqlite",
    }


# --------------------------------------------------------------------------- #
# Running
# --------------------------------------------------------------------------- #


def process_revision_directives(context: Any, revision: Any, directives: list[Any]) -> None:
    """Generate no empty revision when autogenerate finds no change (Flask-Migrate's hook)."""
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode: emit the SQL for a URL, without a connection."""
    if migrate_config is not None:
        url = config.get_main_option("sqlalchemy.url")
        metadata = _flask_metadata()
        options: dict[str, Any] = {}
    else:
        url = _standalone_url()
        metadata = _standalone_metadata()
        options = _standalone_options(make_url(url).get_backend_name())
    context.configure(url=url, target_metadata=metadata, literal_binds=True, **options)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode, on a connection to the database."""
    if migrate_config is not None:
        conf_args = migrate_config.configure_args
        if conf_args.get("process_revision_directives") is None:
            conf_args["process_revision_directives"] = process_revision_directives
        connectable = _flask_engine()
        metadata = _flask_metadata()
        dispose = False
    else:
        connectable = create_engine(_standalone_url(), poolclass=pool.NullPool)
        metadata = _standalone_metadata()
        conf_args = {
            **_standalone_options(connectable.dialect.name),
            "process_revision_directives": process_revision_directives,
        }
        dispose = True

    try:
        with connectable.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, **conf_args)

            with context.begin_transaction():
                context.run_migrations()
    finally:
        if dispose:
            connectable.dispose()


if migrate_config is not None:
    config.set_main_option("sqlalchemy.url", _flask_engine_url())

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
