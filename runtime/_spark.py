"""The active SparkSession, if any, found without importing pyspark when nothing imported it yet."""

from __future__ import annotations

import sys
from typing import Any


def active_session() -> Any | None:
    """The SparkSession this process uses (classic pyspark, backed by a JVM), or None.

    pyspark is never imported here unless something else imported it already: a process that never
    imported pyspark has no session. Spark Connect sessions have no JVM and count as None.
    """
    if "pyspark" not in sys.modules:
        return None
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # a half-installed pyspark: behave as without Spark
        return None
    session: Any = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is None:
        return None
    context = getattr(session, "_sc", None)
    if context is None or getattr(context, "_jsc", None) is None:
        return None
    return session
