package net.driploop.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A real PostgreSQL server from embedded binaries, with a {@code driploop} database. */
public final class EmbeddedPostgresServer implements AutoCloseable {

    public static final String DATABASE = "driploop";
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts PostgreSQL.
     *
     * @param dataDir where to keep the data (kept across starts), or null for a throw-away directory
     * @param port    the port (0 = a free one)
     */
    public static EmbeddedPostgresServer start(Path dataDir, int port) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port == 0 ? Ports.free() : port)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on");
            if (dataDir != null) {
                builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
            }
            EmbeddedPostgres pg = builder.start();
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("ALTER USER postgres PASSWORD '" + PASSWORD + "'");
                try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                    if (!rs.next()) {
                        s.execute("CREATE DATABASE " + DATABASE);
                    }
                }
            }
            return new EmbeddedPostgresServer(pg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String reactiveUrl() {
        return "postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
