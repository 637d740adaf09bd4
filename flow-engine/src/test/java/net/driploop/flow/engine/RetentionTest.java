package net.driploop.flow.engine;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Ids of applied records are kept as long as Kafka could redeliver them, automation-log entries for the trace
 * retention; then both are purged.
 */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class RetentionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @Inject
    Pool pool;
    @Inject
    Housekeeping housekeeping;
    @Inject
    EngineConfig config;

    @Test
    void idsOlderThanTheRetentionArePurgedAndNewerOnesKept() {
        String consumer = "retention-test-" + Ids.newId(Ids.EVENT);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime cutoff = now.minus(config.processedRetention());
        pool.preparedQuery("""
                        INSERT INTO flow.processed_records (consumer, ce_id, processed_at)
                        SELECT $1, 'old-' || g, $2 - make_interval(mins => g) FROM generate_series(1, 25000) g
                        UNION ALL
                        SELECT $1, 'new-' || g, $3 - make_interval(mins => g) FROM generate_series(1, 30) g""")
                .execute(Sql.params(consumer, cutoff, now)).await().atMost(DEADLINE);

        long purged = housekeeping.purgeProcessedRecordsBefore(cutoff).await().atMost(DEADLINE);

        assertThat(purged).isGreaterThanOrEqualTo(25_000);
        long left = pool.preparedQuery("SELECT count(*) AS n "
                        + "FROM flow.processed_records WHERE consumer = $1")
                .execute(Sql.params(consumer)).await().atMost(DEADLINE).iterator().next().getLong("n");
        assertThat(left).isEqualTo(30);
        assertThat(config.processedRetention()).isGreaterThan(Duration.ofDays(7));
    }

    @Test
    void automationLogEntriesOlderThanTheRetentionArePurgedAndNewerOnesKept() {
        String correlationId = Ids.newCorrelationId();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime cutoff = now.minus(config.traceRetention());
        pool.preparedQuery("""
                        INSERT INTO flow.automation_log (id, correlation_id, at, service, type)
                        SELECT 'log_old_' || $1 || '_' || g, $1, $2 - make_interval(mins => g), 'ingest-api', 'api.request'
                        FROM generate_series(1, 25000) g
                        UNION ALL
                        SELECT 'log_new_' || $1 || '_' || g, $1, $3 - make_interval(mins => g), 'ingest-api', 'api.request'
                        FROM generate_series(1, 30) g""")
                .execute(Sql.params(correlationId, cutoff, now)).await().atMost(DEADLINE);

        long purged = housekeeping.purgeAutomationLogBefore(cutoff).await().atMost(DEADLINE);

        assertThat(purged).isGreaterThanOrEqualTo(25_000);
        given().header("Authorization", "Bearer test-admin-token").get("/admin/v1/traces/" + correlationId)
                .then().statusCode(200).body("data.size()", equalTo(30));
        assertThat(config.traceRetention()).isEqualTo(Duration.ofDays(30));
    }
}
