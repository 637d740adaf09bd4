package net.driploop.email.delivery;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** No more attempts at once than slots; a queued attempt starts only when one ends, failed or not. */
class SendSlotsTest {

    @Test
    void startsAQueuedAttemptOnlyWhenARunningOneEnds() {
        SendSlots slots = new SendSlots(2);
        List<UniEmitter<? super String>> started = new CopyOnWriteArrayList<>();
        List<Uni<String>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Uni<String> result = slots.<String>run(() -> Uni.createFrom().emitter(started::add)).memoize().indefinitely();
            result.subscribe().with(x -> { }, f -> { });
            results.add(result);
        }
        assertThat(started).hasSize(2);

        started.get(0).fail(new IllegalStateException("refused"));
        assertThat(started).hasSize(3);
        started.get(1).complete("sent");
        started.get(2).complete("sent");
        assertThat(started).hasSize(4);
        started.get(3).complete("sent");

        assertThat(results.get(3).await().atMost(Duration.ofSeconds(5))).isEqualTo("sent");
        // every slot is free again: two more start at once
        List<UniEmitter<? super String>> more = new CopyOnWriteArrayList<>();
        slots.<String>run(() -> Uni.createFrom().emitter(more::add)).subscribe().with(x -> { }, f -> { });
        slots.<String>run(() -> Uni.createFrom().emitter(more::add)).subscribe().with(x -> { }, f -> { });
        assertThat(more).hasSize(2);
    }
}
