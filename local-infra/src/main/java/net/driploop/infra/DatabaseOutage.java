package net.driploop.infra;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A test's database gone away, as in a failover: its open connections are terminated and new ones refused until
 * {@link #close()}. Works on the shared embedded server and on an external one (it needs a superuser); the
 * server's other databases stay up.
 */
public final class DatabaseOutage implements AutoCloseable {

    private final Connection admin;
    private final String database;

    private DatabaseOutage(Connection admin, String database) {
        this.admin = admin;
        this.database = database;
    }

    /** Takes away the database of the running Quarkus test's datasource ({@code quarkus.datasource.jdbc.url}, …). */
    public static DatabaseOutage begin() throws SQLException {
        Config config = ConfigProvider.getConfig();
        return begin(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }

    /** Takes the database of {@code jdbcUrl} away, through the server's {@code postgres} database. */
    private static DatabaseOutage begin(String jdbcUrl, String user, String password) throws SQLException {
        String database = jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1);
        String adminUrl = jdbcUrl.substring(0, jdbcUrl.lastIndexOf('/') + 1) + "postgres";
        Connection admin = DriverManager.getConnection(adminUrl, user, password);
        DatabaseOutage outage = new DatabaseOutage(admin, database);
        try (Statement sql = admin.createStatement()) {
            sql.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
            sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database
                    + "' AND pid <> pg_backend_pid()");
        } catch (SQLException | RuntimeException e) {
            outage.close();
            throw e;
        }
        return outage;
    }

    /** Lets connections in again. */
    @Override
    public void close() throws SQLException {
        try (Connection connection = admin; Statement sql = connection.createStatement()) {
            sql.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
        }
    }
}
