// Drives pgjdbc against a riffq server; prints one line per observation.
// Usage: java -cp postgresql.jar:. RiffqJdbc <port> <scenario>
import java.sql.*;
import java.util.Properties;

public class RiffqJdbc {
    static void out(String s) { System.out.println(s); System.out.flush(); }

    static String row(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            if (i > 1) sb.append("|");
            Object v = rs.getObject(i);
            sb.append(v == null ? "NULL" : v.toString());
        }
        return sb.toString();
    }

    static void dump(String label, ResultSet rs) throws SQLException {
        while (rs.next()) out(label + " " + row(rs));
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String scenario = args[1];
        Properties p = new Properties();
        p.setProperty("user", "u");
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "20");
        String host = "127.0.0.1";
        for (int i = 2; i < args.length; i++) {     // key=value overrides; host= picks the host
            String[] kv = args[i].split("=", 2);
            if (kv[0].equals("host")) host = kv[1]; else p.setProperty(kv[0], kv[1]);
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/d", p)) {
            switch (scenario) {
                case "statement": statement(c); break;
                case "prepared": prepared(c); break;
                case "fetchsize": fetchSize(c); break;
                case "reuse": reuse(c); break;
                case "batch": batch(c); break;
                case "error": error(c); break;
                case "types": types(c); break;
                case "session": session(c); break;
                case "multi": multi(c); break;
                case "params": params(c); break;
                case "schemachange": schemaChange(c); break;
                case "whoami": whoami(c); break;
                case "cancel": cancel(c); break;
                default: throw new IllegalArgumentException(scenario);
            }
        }
        out("done");
    }

    static void statement(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("select id, name from people");
            ResultSetMetaData md = rs.getMetaData();
            out("cols " + md.getColumnName(1) + ":" + md.getColumnTypeName(1) + " "
                + md.getColumnName(2) + ":" + md.getColumnTypeName(2));
            dump("row", rs);
            out("update " + st.executeUpdate("insert into people values (9, 'z')"));
            out("show " + one(st.executeQuery("show application_name")));
            out("extra_float_digits " + one(st.executeQuery("show extra_float_digits")));
        }
    }

    static String one(ResultSet rs) throws SQLException {
        rs.next();
        String s = rs.getString(1);
        rs.close();
        return s;
    }

    static void prepared(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select echo ?, ?, ?::timestamp")) {
            ps.setInt(1, 42);
            ps.setString(2, "héllo 'x'");
            ps.setTimestamp(3, Timestamp.valueOf("2024-01-02 03:04:05.123456"));
            dump("echo", ps.executeQuery());
            ps.setInt(1, -1);
            ps.setNull(2, Types.VARCHAR);
            ps.setTimestamp(3, Timestamp.valueOf("1999-12-31 23:59:59"));
            dump("echo", ps.executeQuery());
        }
    }

    static void fetchSize(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("select n from series where n < ?::int4")) {
            ps.setFetchSize(2);
            ps.setInt(1, 10);
            ResultSet rs = ps.executeQuery();
            StringBuilder sb = new StringBuilder();
            while (rs.next()) sb.append(rs.getInt(1)).append(",");
            rs.close();
            out("fetched " + sb);
        }
        try (Statement st = c.createStatement()) {
            st.setFetchSize(3);
            ResultSet rs = st.executeQuery("select n from series");
            StringBuilder sb = new StringBuilder();
            while (rs.next()) sb.append(rs.getInt(1)).append(",");
            rs.close();
            out("fetched " + sb);
        }
        c.commit();
        c.setAutoCommit(true);
    }

    static void whoami(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            dump("row", st.executeQuery("select id, name from people"));
        }
    }

    static void cancel(Connection c) throws Exception {
        // Statement.cancel() from another thread, as a UI's stop button does
        try (Statement st = c.createStatement()) {
            Thread t = new Thread(() -> {
                try { Thread.sleep(700); st.cancel(); } catch (Exception e) { out("cancel failed " + e); }
            });
            t.start();
            long t0 = System.nanoTime();
            try {
                st.executeQuery("select slow");
                out("no error");
            } catch (SQLException e) {
                out("error " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
            }
            t.join();
            out("fast " + ((System.nanoTime() - t0) / 1000000 < 4000));
            dump("after", st.executeQuery("select id, name from people"));
        }
    }

    static void reuse(Connection c) throws SQLException {
        // past prepareThreshold (5) pgjdbc switches to a named server-side
        // statement and binary transfer
        try (PreparedStatement ps = c.prepareStatement("select ?::int + 1")) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                ps.setInt(1, i * 10);
                ResultSet rs = ps.executeQuery();
                rs.next();
                sb.append(rs.getInt(1)).append(",");
                rs.close();
            }
            out("reuse " + sb);
        }
    }

    static void batch(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into people values (?, ?)")) {
            for (int i = 1; i <= 3; i++) {
                ps.setInt(1, i);
                ps.setString(2, "n" + i);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            StringBuilder sb = new StringBuilder();
            for (int n : counts) sb.append(n).append(",");
            out("batch " + sb);
        }
    }

    static void error(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            try {
                st.executeQuery("select boom");
                out("no error");
            } catch (SQLException e) {
                out("error " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
            }
            dump("after", st.executeQuery("select id, name from people"));
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("select boom where ?::int = 1")) {
                ps.setInt(1, 1);
                ps.executeQuery();
                out("no error");
            } catch (SQLException e) {
                out("error " + e.getSQLState());
            }
            try {
                st.executeQuery("select id, name from people");
                out("no error");
            } catch (SQLException e) {
                out("error " + e.getSQLState());
            }
            c.rollback();
            dump("after", st.executeQuery("select id, name from people"));
            c.setAutoCommit(true);
        }
    }

    static void types(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("select * from typed");
            ResultSetMetaData md = rs.getMetaData();
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= md.getColumnCount(); i++) sb.append(md.getColumnTypeName(i)).append(",");
            out("types " + sb);
            rs.next();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Object v = rs.getObject(i);
                if (v instanceof byte[]) {
                    StringBuilder h = new StringBuilder();
                    for (byte b : (byte[]) v) h.append(String.format("%02x", b));
                    v = h;
                } else if (v instanceof Array) {
                    Object[] a = (Object[]) ((Array) v).getArray();
                    v = java.util.Arrays.toString(a);
                }
                out("value " + md.getColumnName(i) + "=" + v);
            }
            rs.close();
        }
    }

    static void session(Connection c) throws SQLException {
        // what connection pools (HikariCP, ...) do to every connection
        c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
        out("isolation " + c.getTransactionIsolation());
        c.setReadOnly(true);
        out("readonly " + c.isReadOnly());
        c.setReadOnly(false);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            dump("row", st.executeQuery("select id, name from people"));
            Savepoint sp = c.setSavepoint("sp1");
            try {
                st.executeQuery("select boom");
            } catch (SQLException e) {
                out("error " + e.getSQLState());
            }
            c.rollback(sp);
            dump("row", st.executeQuery("select id, name from people"));
            c.commit();
        }
        c.setAutoCommit(true);
        out("valid " + c.isValid(5));
    }

    static void multi(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            boolean isRs = st.execute("select id, name from people; insert into people values (5, 'e'); select n from series");
            int i = 0;
            while (true) {
                if (isRs) {
                    ResultSet rs = st.getResultSet();
                    int n = 0;
                    while (rs.next()) n++;
                    out("result " + i + " rows " + n);
                } else {
                    int uc = st.getUpdateCount();
                    if (uc == -1) break;
                    out("result " + i + " update " + uc);
                }
                isRs = st.getMoreResults();
                i++;
            }
        }
    }

    static void params(Connection c) throws SQLException {
        String sql = "select echo ?::int8, ?::float8, ?::numeric, ?::bool, ?::bytea, ?::date, ?::uuid, ?::timestamptz, ?::text[]";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int round = 0; round < 7; round++) {
                ps.setLong(1, 1L << 40);
                ps.setDouble(2, 0.1);
                ps.setBigDecimal(3, new java.math.BigDecimal("-12.340"));
                ps.setBoolean(4, true);
                ps.setBytes(5, new byte[] {0, 1, (byte) 255});
                ps.setDate(6, java.sql.Date.valueOf("2024-02-29"));
                ps.setObject(7, java.util.UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
                ps.setObject(8, java.time.OffsetDateTime.parse("2024-01-02T03:04:05.5Z"));
                ps.setArray(9, c.createArrayOf("text", new Object[] {"a", "b c", null}));
                ResultSet rs = ps.executeQuery();
                while (rs.next()) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 1; i <= 9; i++) {
                        Object v = rs.getObject(i);
                        if (v instanceof byte[]) {
                            StringBuilder h = new StringBuilder();
                            for (byte b : (byte[]) v) h.append(String.format("%02x", b));
                            v = h;
                        } else if (v instanceof Array) {
                            v = java.util.Arrays.toString((Object[]) ((Array) v).getArray());
                        }
                        sb.append(i > 1 ? "|" : "").append(v);
                    }
                    out("round " + round + " " + sb);
                }
                rs.close();
            }
        }
    }

    static void schemaChange(Connection c) throws SQLException {
        // a statement prepared server-side (past prepareThreshold) whose
        // result type then changes: PostgreSQL answers 0A000 "cached plan must
        // not change result type" and pgjdbc re-prepares and retries
        try (PreparedStatement ps = c.prepareStatement("select x from sc where ?::int4 > 0")) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                ps.setInt(1, 1);
                ResultSet rs = ps.executeQuery();
                rs.next();
                sb.append(rs.getObject(1)).append(",");
                rs.close();
            }
            out("before " + sb);
            try (Statement st = c.createStatement()) {
                st.execute("alter table sc alter x type text using 'abcd'");
            }
            for (int i = 0; i < 2; i++) {
                ps.setInt(1, 1);
                try {
                    ResultSet rs = ps.executeQuery();
                    rs.next();
                    out("after " + rs.getMetaData().getColumnTypeName(1) + " " + rs.getObject(1));
                    rs.close();
                } catch (SQLException e) {
                    out("error " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
                }
            }
        }
    }
}
