from creditguard.db.engine import Database, make_engine, sqlite_path
from creditguard.db.types import DecimalText, UTCDateTime

__all__ = ["Database", "DecimalText", "UTCDateTime", "make_engine", "sqlite_path"]
