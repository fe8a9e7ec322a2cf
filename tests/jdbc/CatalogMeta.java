// Prints what pgjdbc's DatabaseMetaData reports about a database, one JSON
// object per line, so tests/test_catalog_clients.py can compare a riffq
// server's answers with real PostgreSQL's. Every ResultSet is printed as a
// "columns" line (label, type name) followed by one "row" line per row with
// each value as getString() gives it (null stays null).
// Usage: java -cp postgresql.jar:. CatalogMeta <port> <database> <user> <schema.table>...
// (the per-table calls run for each schema.table given)
import java.sql.*;
import java.util.Properties;

public class CatalogMeta {
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    static void print(String call, ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        StringBuilder head = new StringBuilder("{\"call\":" + quote(call) + ",\"columns\":[");
        for (int i = 1; i <= n; i++) {
            if (i > 1) head.append(',');
            head.append('[').append(quote(md.getColumnLabel(i))).append(',')
                .append(quote(md.getColumnTypeName(i))).append(']');
        }
        System.out.println(head.append("]}"));
        while (rs.next()) {
            StringBuilder row = new StringBuilder("{\"call\":" + quote(call) + ",\"row\":[");
            for (int i = 1; i <= n; i++) {
                if (i > 1) row.append(',');
                row.append(quote(rs.getString(i)));
            }
            System.out.println(row.append("]}"));
        }
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", args[2]);
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "30");
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[1];
        try (Connection c = DriverManager.getConnection(url, p)) {
            DatabaseMetaData md = c.getMetaData();
            print("getCatalogs", md.getCatalogs());
            print("getSchemas", md.getSchemas());
            print("getTableTypes", md.getTableTypes());
            print("getTables:null", md.getTables(null, null, "%", null));
            ResultSet types = md.getTableTypes();
            java.util.List<String> names = new java.util.ArrayList<>();
            while (types.next()) names.add(types.getString(1));
            types.close();
            for (String type : names) {
                print("getTables:" + type, md.getTables(null, null, "%", new String[] {type}));
            }
            for (int i = 3; i < args.length; i++) {
                String[] st = args[i].split("\\.", 2);
                print("getColumns:" + args[i], md.getColumns(null, st[0], st[1], "%"));
                print("getPrimaryKeys:" + args[i], md.getPrimaryKeys(null, st[0], st[1]));
                print("getIndexInfo:" + args[i], md.getIndexInfo(null, st[0], st[1], false, true));
                print("getBestRowIdentifier:" + args[i], md.getBestRowIdentifier(
                    null, st[0], st[1], DatabaseMetaData.bestRowSession, true));
                print("getTablePrivileges:" + args[i], md.getTablePrivileges(null, st[0], st[1]));
                print("getImportedKeys:" + args[i], md.getImportedKeys(null, st[0], st[1]));
                print("getExportedKeys:" + args[i], md.getExportedKeys(null, st[0], st[1]));
            }
            print("getTypeInfo", md.getTypeInfo());
            print("getSchemas:sales", md.getSchemas(null, "sales"));
            print("getColumns:pattern", md.getColumns(null, "s%", "%", "%"));
            print("getUDTs", md.getUDTs(null, "public", "%", null));
            print("getProcedures", md.getProcedures(null, "public", "%"));
            print("getFunctions:lower", md.getFunctions(null, "pg_catalog", "lower"));
            print("getFunctionColumns:lower", md.getFunctionColumns(null, "pg_catalog", "lower", "%"));
        }
        System.out.println("{\"done\":true}");
    }
}
