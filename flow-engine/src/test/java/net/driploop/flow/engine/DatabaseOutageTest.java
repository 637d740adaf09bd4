package net.driploop.flow.engine;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.DatabaseOutage;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static net.driploop.flow.engine.EngineFixture.commandsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL down while events arrive: the engine keeps them waiting on Kafka (dead-letters none of them, however
 * long the outage) and applies each once the database is back, in order.
 */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class DatabaseOutageTest {

    /** Longer than the retries of any other transient failure (about 3 s) before a record is dead-lettered. */
    private static final Duration OUTAGE = Duration.ofSeconds(12);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Inject
    Pool pool;

    private EngineFixture fixture;
    private TopicReader emails;
    private TopicReader deadLetters;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
        emails = EngineFixture.reader(Topics.EMAIL_COMMANDS);
        deadLetters = EngineFixture.reader(Topics.dlq(Topics.EVENTS));
    }

    @AfterEach
    void tearDown() {
        emails.close();
        deadLetters.close();
        fixture.close();
    }

    @Test
    void eventsArrivingWhilePostgresqlIsDownWaitAndAreAppliedInOrderOnceItIsBack() throws Exception {
        fixture.createFlow(app, """
                {'name': 'Welcome', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'hello', 'type': 'email', 'subject': 'Hello', 'text': 'Hi'}]}""");
        UserSnapshot kim = EngineFixture.user("kim", "kim@example.com", Map.of("plan", "free"));
        String registered;
        String updated;
        try (DatabaseOutage outage = DatabaseOutage.begin()) {
            registered = fixture.registered(Ids.newCorrelationId(), app, kim);
            updated = fixture.metadataUpdated(Ids.newCorrelationId(), app,
                    EngineFixture.user("kim", "kim@example.com", Map.of("plan", "pro")), Map.of("plan", "pro"));
            // for the whole outage, none of the app's records is dead-lettered
            await().during(OUTAGE).atMost(OUTAGE.plusSeconds(5))
                    .until(() -> deadLetters.poll(m -> m.key().startsWith(app + ":")), List::isEmpty);
        }

        await().atMost(DEADLINE).until(() -> fixture.processed(registered) && fixture.processed(updated));
        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "kim"), list -> !list.isEmpty());
        // the registration was applied before the later update: the email carries the user as registered
        assertThat(sent).hasSize(1);
        assertThat(EngineFixture.json(sent.get(0).value()).path("data").path("user").path("metadata").path("plan")
                .asText()).isEqualTo("free");
        assertThat(deadLetters.poll(m -> m.key().startsWith(app + ":"))).isEmpty();
    }
}
