"""One SQLAlchemy engine per app, one session per request (or CLI command).

Views and commands are the unit of work: they call the registry's services with this session and
commit; anything not committed is rolled back when the app context ends.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from registry.db import KeptConnections, create_database_engine, create_reader_engine, unavailable


class Database:
    def init_app(self, app: Flask) -> None:
        engine = create_database_engine(app.config["DATABASE_URL"])
        app.extensions["database"] = sessionmaker(engine, expire_on_commit=False)
        readers = create_reader_engine(app.config["DATABASE_URL"], engine)
        app.extensions["database_readers"] = KeptConnections(readers)
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def engine(app: Flask | None = None):
        return (app or current_app).extensions["database"].kw["bind"]

    @staticmethod
    def readers(app: Flask | None = None) -> KeptConnections:
        """The API's hot raw reads' connections, kept between requests, on the reader engine
        (``registry.db.create_reader_engine``)."""
        return (app or current_app).extensions["database_readers"]

    def dispose(self, app: Flask | None = None) -> None:
        """Close the pooled connections of both engines (tests, before a database goes away)."""
        readers = self.readers(app)
        readers.close()
        readers.engine.dispose()
        self.engine(app).dispose()

    @staticmethod
    def session() -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["database"]()
        return g.db_session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        """End the request's session. Its connection may have died meanwhile (the primary was
        killed, a failover): the rollback then fails, and the answer already made must still go
        out, so that failure is logged and the connection dropped from the pool."""
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            session.close()
        except Exception as error:
            if not unavailable(error):
                raise
            current_app.logger.warning("database connection lost at the end of a request: %s", type(error).__name__)
            try:
                session.invalidate()
            except Exception as again:  # the connection is gone either way
                current_app.logger.warning("connection not invalidated: %s", type(again).__name__)


db = Database()
