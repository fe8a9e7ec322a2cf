"""The real-PostgreSQL fixture starts a server that answers queries."""
from __future__ import annotations

import os


def test_real_pg_answers_version(real_pg):
    proc = real_pg.psql("select version()", "-At")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("PostgreSQL "), proc.stdout
    assert real_pg.host == "127.0.0.1"
    assert real_pg.user == "postgres"
    assert real_pg.dsn == "host=127.0.0.1 port=%d user=postgres dbname=postgres" % real_pg.port
    assert os.path.exists(os.path.join(real_pg.socket_dir, ".s.PGSQL.%d" % real_pg.port))
    assert os.path.exists(os.path.join(real_pg.bin_dir, "postgres"))
    # The server runs with the settings the fixture promises.
    proc = real_pg.psql("show timezone", "-At")
    assert proc.stdout.strip() == "UTC"
    proc = real_pg.psql("show fsync", "-At")
    assert proc.stdout.strip() == "off"
