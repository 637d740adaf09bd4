package net.driploop.ingest.ratelimit;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Replicas reserving units of one key's window in chunks: the limit holds across them, and the headers add up. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class SharedWindowTest {

    @Inject
    Pool pool;

    @BeforeEach
    void awayFromTheEndOfAMinute() {
        // every call of a test must fall in one window; from second 40 the next minute is up to 20 s away
        await().atMost(Duration.ofSeconds(25)).until(() -> System.currentTimeMillis() / 1000 % 60 < 40);
    }

    @Test
    void twoReplicasTogetherAllowExactlyTheLimit() {
        int limit = 3_000;
        RateLimiter first = new RateLimiter(pool, limit);
        RateLimiter second = new RateLimiter(pool, limit);
        String key = Ids.newId(Ids.API_KEY);

        List<Uni<RateLimitState>> calls = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            calls.add(first.take(key));
            calls.add(second.take(key));
        }
        List<RateLimitState> states = Uni.join().all(calls).andFailFast().await().atMost(Duration.ofSeconds(60));

        assertThat(states.stream().map(RateLimitState::resetEpochSecond).distinct()).hasSize(1);
        assertThat(states.stream().filter(RateLimitState::allowed)).hasSize(limit);
        List<RateLimitState> refused = states.stream().filter(s -> !s.allowed()).toList();
        assertThat(refused).hasSize(4_000 - limit)
                .allSatisfy(s -> {
                    assertThat(s.remaining()).isZero();
                    assertThat(s.retryAfterSeconds()).isBetween(1L, 60L);
                });
        // both replicas handed out units from the shared window
        long allowedByFirst = 0;
        long allowedBySecond = 0;
        for (int i = 0; i < states.size(); i++) {
            if (states.get(i).allowed()) {
                if (i % 2 == 0) {
                    allowedByFirst++;
                } else {
                    allowedBySecond++;
                }
            }
        }
        assertThat(allowedByFirst).isPositive();
        assertThat(allowedBySecond).isPositive();
        long reserved = pool.preparedQuery("SELECT count FROM ingest.rate_limit_windows WHERE key_id = $1")
                .execute(Tuple.of(key)).await().indefinitely().iterator().next().getInteger("count");
        assertThat(reserved).isGreaterThanOrEqualTo(limit);
    }

    @Test
    void remainingCountsDownOneByOneOnOneReplicaWithAHighLimit() {
        RateLimiter limiter = new RateLimiter(pool, 1_000_000);
        String key = Ids.newId(Ids.API_KEY);
        for (int i = 1; i <= 50; i++) {
            RateLimitState state = limiter.take(key).await().atMost(Duration.ofSeconds(10));
            assertThat(state.allowed()).isTrue();
            assertThat(state.remaining()).isEqualTo(1_000_000 - i);
        }
        // and it took far fewer statements than calls: the shared count is a few chunks ahead at most
        long reserved = pool.preparedQuery("SELECT count FROM ingest.rate_limit_windows WHERE key_id = $1")
                .execute(Tuple.of(key)).await().indefinitely().iterator().next().getInteger("count");
        assertThat(reserved).isBetween(50L, 50L + 2 * 1_000_000 / RateLimiter.CHUNK_DIVISOR);
    }
}
