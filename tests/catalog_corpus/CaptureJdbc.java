// Drives pgjdbc's DatabaseMetaData against the capture server so that its
// catalog statements land in the server log (tools/capture_catalog_corpus.py).
// Each step renames the session's application_name to "cap:jdbc:<step>",
// which is how the capture tool tells the steps apart in the log.
// Usage: java -cp postgresql.jar:. CaptureJdbc <port> <database>
import java.sql.*;
import java.util.Properties;

public class CaptureJdbc {
    static Connection conn;

    static void step(String name) throws SQLException {
        conn.setClientInfo("ApplicationName", "cap:jdbc:" + name);
    }

    // Read every value, as a browsing tool does (getObject may itself make
    // pgjdbc look types up).
    static void drain(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
            for (int i = 1; i <= md.getColumnCount(); i++) rs.getObject(i);
        }
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("sslmode", "disable");
        p.setProperty("ApplicationName", "cap:jdbc:connect");
        conn = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[1], p);
        DatabaseMetaData md = conn.getMetaData();
        step("getDatabaseProductVersion");
        md.getDatabaseProductVersion();
        md.getUserName();
        step("getCatalogs");
        drain(md.getCatalogs());
        step("getSchemas");
        drain(md.getSchemas());
        drain(md.getSchemas(null, "sales"));
        step("getTableTypes");
        drain(md.getTableTypes());
        step("getTables");
        drain(md.getTables(null, null, "%", null));
        drain(md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"}));
        drain(md.getTables(null, "sales", "orders", new String[] {"TABLE"}));
        step("getColumns");
        drain(md.getColumns(null, "public", "customers", "%"));
        drain(md.getColumns(null, "sales", "%", "%"));
        step("getPrimaryKeys");
        drain(md.getPrimaryKeys(null, "sales", "order_lines"));
        drain(md.getPrimaryKeys(null, "public", "customers"));
        step("getIndexInfo");
        drain(md.getIndexInfo(null, "public", "customers", false, true));
        drain(md.getIndexInfo(null, "sales", "order_lines", true, false));
        step("getImportedKeys");
        drain(md.getImportedKeys(null, "sales", "orders"));
        step("getExportedKeys");
        drain(md.getExportedKeys(null, "public", "customers"));
        step("getTypeInfo");
        drain(md.getTypeInfo());
        step("getUDTs");
        drain(md.getUDTs(null, "public", "%", null));
        step("getProcedures");
        drain(md.getProcedures(null, "public", "%"));
        step("getFunctions");
        drain(md.getFunctions(null, "pg_catalog", "lower"));
        step("getFunctionColumns");
        drain(md.getFunctionColumns(null, "pg_catalog", "lower", "%"));
        step("getTablePrivileges");
        drain(md.getTablePrivileges(null, "public", "customers"));
        step("getBestRowIdentifier");
        drain(md.getBestRowIdentifier(null, "public", "customers", DatabaseMetaData.bestRowSession, true));
        step("ResultSetMetaData");
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM public.customers")) {
            ResultSetMetaData rmd = rs.getMetaData();
            for (int i = 1; i <= rmd.getColumnCount(); i++) {
                rmd.isNullable(i);
                rmd.isAutoIncrement(i);
                ((org.postgresql.PGResultSetMetaData) rmd).getBaseColumnName(i);
                rmd.getTableName(i);
                rmd.getSchemaName(i);
                rmd.getColumnTypeName(i);
            }
        }
        step("done");
        conn.close();
    }
}
