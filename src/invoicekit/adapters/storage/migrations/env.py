"""The Alembic environment of ``SqlAlchemyStorage``'s schema.

``SqlAlchemyStorage`` runs it with its own connection (in
``config.attributes["connection"]``, inside a transaction it commits); the
``alembic`` command line may run it too, with ``sqlalchemy.url`` set in its
configuration. Revisions are recorded in ``invoicekit_alembic_version``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from invoicekit.adapters.storage.sqlalchemy_tables import METADATA, VERSION_TABLE


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=METADATA,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        msg = "set sqlalchemy.url in the Alembic configuration, or pass a connection"
        raise RuntimeError(msg)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
