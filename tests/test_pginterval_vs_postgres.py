"""Intervals with months (``pginterval``), printed as PostgreSQL prints them.

Arrow's ``month_day_nano_interval`` (DuckDB's INTERVAL) keeps months, days
and a time apart, each with its own sign, which a timedelta cannot. Their
text in each IntervalStyle is compared with a real PostgreSQL 15's for
random and edge values; the same values end to end, through psql and
psycopg, are in ``test_arrow_vectorized_vs_postgres``.
"""
from __future__ import annotations

import random

import psycopg
import pytest

from riffq._wire.pginterval import PgInterval, format_pg_interval

STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")


def _cases():
    rng = random.Random(20261127)

    def pick(big):
        return rng.choice([0, 0, 1, -1, rng.randint(-big, big)])
    edges = [PgInterval(0, 0, 0), PgInterval(12, 0, 0), PgInterval(-13, 0, 0), PgInterval(0, 1, 0),
             PgInterval(0, 0, 1), PgInterval(0, 0, -1), PgInterval(0, 0, 1000000), PgInterval(0, 0, -1000000),
             PgInterval(-14, 3, -1), PgInterval(14, -3, 1), PgInterval(1, 1, 3600 * 10 ** 6 * 100),
             PgInterval(2 ** 31 - 1, -2 ** 31 + 1, 10 ** 15), PgInterval(-2 ** 31 + 1, 2 ** 31 - 1, -10 ** 15)]
    return edges + [PgInterval(pick(400), pick(1000), rng.choice(
        [0, 1, -1, 1000000, -59999999, rng.randint(-10 ** 12, 10 ** 12), rng.randint(-10 ** 7, 10 ** 7)]))
        for _ in range(1500)]


@pytest.mark.parametrize("style", STYLES)
def test_interval_text_is_postgres_text(real_pg, style):
    cases = _cases()
    with psycopg.connect(real_pg.dsn, autocommit=True) as conn:
        conn.execute("set intervalstyle = " + style)
        # built by arithmetic: read as a literal, sql_standard would carry a
        # leading sign over to the fields after it
        rows = conn.execute(
            "select (interval '1 month' * m + interval '1 day' * d + interval '1 microsecond' * u)::text"
            " from unnest(%s::int4[], %s::int4[], %s::int8[]) with ordinality as t(m, d, u, i) order by i",
            ([c.months for c in cases], [c.days for c in cases], [c.micros for c in cases])).fetchall()
    wrong = [(c, format_pg_interval(c, style), want) for c, (want,) in zip(cases, rows)
             if format_pg_interval(c, style) != want]
    assert wrong == []
