// Drives node-postgres against a riffq server; prints one JSON line per result.
// Usage: node client.js <port> <scenario>
'use strict';
const { Client } = require('pg');

const port = Number(process.argv[2]);
const scenario = process.argv[3];
const out = (label, value) => console.log(JSON.stringify([label, value]));
const rowsOf = (res) => res.rows;

async function main() {
  // optional JSON overrides: {"user": ..., "password": ..., "host": ...,
  // "ssl": {"caFile": path, "servername": ...}, "enableChannelBinding": true}
  const extra = process.argv[4] ? JSON.parse(process.argv[4]) : {};
  if (extra.ssl && extra.ssl.caFile) {
    extra.ssl.ca = require('fs').readFileSync(extra.ssl.caFile);
    delete extra.ssl.caFile;
  }
  const client = new Client({
    host: '127.0.0.1', port, user: 'u', database: 'd', ssl: false,
    connectionTimeoutMillis: 10000,
    // pg-cursor leaves query_timeout's timer running, which keeps node alive
    // for the full timeout after end() (PostgreSQL too); the Python side has
    // its own subprocess timeout anyway
    query_timeout: scenario === 'cursor' ? undefined : 10000,
    ...extra,
  });
  await client.connect();
  try {
    if (scenario === 'whoami') {
      const res = await client.query('select id, name from people');
      out('rows', rowsOf(res));
      out('encrypted', Boolean(client.connection.stream.encrypted));
    } else if (scenario === 'params') {
      let res = await client.query('select $1::int4 + $2::int4 as total', [40, 2]);
      out('sum', rowsOf(res));
      out('fields', res.fields.map((f) => [f.name, f.dataTypeID]));
      res = await client.query('select echo $1, $2', ['héllo', null]);
      out('echo', rowsOf(res));
      // a named prepared statement, reused
      for (const v of [1, 2, 3]) {
        res = await client.query({ name: 'plus', text: 'select $1::int4 + $2::int4 as total', values: [v, 10] });
        out('named', rowsOf(res));
      }
      res = await client.query({ text: 'select id, name from people', rowMode: 'array' });
      out('array', rowsOf(res));
    } else if (scenario === 'plain') {
      let res = await client.query('select id, name from people');
      out('rows', rowsOf(res));
      out('command', [res.command, res.rowCount]);
      res = await client.query("insert into people values (3, 'cy')");
      out('command', [res.command, res.rowCount]);
      res = await client.query('select id, name from people; select id, name from people');
      out('multi', res.map((r) => r.rows.length));
      res = await client.query('show application_name');
      out('show', rowsOf(res));
    } else if (scenario === 'types') {
      const res = await client.query('select * from typed where $1::int4 = 1', [1]);
      const row = res.rows[0];
      for (const k of Object.keys(row)) {
        let v = row[k];
        if (Buffer.isBuffer(v)) v = 'hex:' + v.toString('hex');
        else if (v instanceof Date) v = 'date:' + v.toISOString();
        out(k, v);
      }
    } else if (scenario === 'error') {
      try {
        await client.query('select boom where $1::int4 = 1', [1]);
        out('error', null);
      } catch (e) {
        out('error', [e.code, e.message]);
      }
      out('after', rowsOf(await client.query('select id, name from people where $1::int4 > 0', [1])));
      await client.query('begin');
      try { await client.query('select boom'); } catch (e) { out('error', [e.code]); }
      try { await client.query('select $1::int4 + $2::int4 as total', [1, 1]); } catch (e) { out('error', [e.code]); }
      await client.query('rollback');
      out('after', rowsOf(await client.query('select $1::int4 + $2::int4 as total', [1, 1])));
    } else if (scenario === 'paramtypes') {
      // what node-postgres makes of JS values: all text, except Buffers (binary)
      const values = [
        new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600)), Buffer.from([0, 1, 255]), [1, null, 3],
        ['a', 'b c', null, 'q"x'], { a: [1, null] }, true, 12345678901234n, 1.5, '12.50', null,
      ];
      const sql = 'select $1::timestamptz as ts, $2::bytea as by, $3::int4[] as ia, $4::text[] as ta, ' +
        '$5::jsonb as j, $6::bool as b, $7::int8 as i8, $8::float8 as f8, $9::numeric as num, $10::int4 as nul';
      const res = await client.query(sql.replace('select ', process.env.ECHO_PREFIX || 'select echo '), values);
      const row = res.rows[0];
      for (const k of Object.keys(row)) {
        let v = row[k];
        if (Buffer.isBuffer(v)) v = 'hex:' + v.toString('hex');
        else if (v instanceof Date) v = 'date:' + v.toISOString();
        out(k, v);
      }
    } else if (scenario === 'cursor') {
      const Cursor = require('pg-cursor');
      await client.query('begin');
      const cursor = client.query(new Cursor('select n from series where n < $1::int4', [10]));
      const seen = [];
      for (;;) {
        const rows = await cursor.read(3);
        if (rows.length === 0) break;
        seen.push(rows.map((r) => r.n));
      }
      await cursor.close();
      await client.query('commit');
      out('batches', seen);
    } else {
      throw new Error('unknown scenario ' + scenario);
    }
  } finally {
    await client.end();
  }
  out('done', true);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
