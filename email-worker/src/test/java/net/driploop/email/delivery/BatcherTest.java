package net.driploop.email.delivery;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The grouping of work into batches: what waits goes together, shared keys never, a bad item fails alone. */
class BatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Batches as the work saw them; each batch completes when the test says so. */
    private final List<List<String>> batches = new CopyOnWriteArrayList<>();
    private final List<UniEmitter<? super List<String>>> running = new CopyOnWriteArrayList<>();

    private final Batcher<String, String> batcher = new Batcher<>(3, items -> {
        batches.add(items);
        if (items.contains("bad")) {
            return Uni.createFrom().failure(new IllegalArgumentException("bad item"));
        }
        return Uni.createFrom().emitter(running::add);
    }, item -> List.of(item.substring(0, 1)), failure -> failure instanceof IllegalArgumentException);

    private void completeRunning() {
        UniEmitter<? super List<String>> emitter = running.remove(0);
        List<String> items = batches.get(batches.size() - 1);
        emitter.complete(items.stream().map(i -> i + "!").toList());
    }

    @Test
    void runsAnItemAtOnceAndGroupsWhatArrivesMeanwhileUpToTheLimitKeepingSharedKeysApart() {
        List<Uni<String>> results = new ArrayList<>();
        for (String item : List.of("a1", "b1", "c1", "a2", "d1", "e1", "f1")) {
            results.add(batcher.submit(item).memoize().indefinitely());
        }
        results.forEach(r -> r.subscribe().with(x -> { }, f -> { }));
        // a1 runs alone; what arrived meanwhile goes in batches of at most three, in order
        assertThat(batches).containsExactly(List.of("a1"));
        completeRunning();
        assertThat(batches.get(1)).containsExactly("b1", "c1", "a2");
        completeRunning();
        assertThat(batches.get(2)).containsExactly("d1", "e1", "f1");
        completeRunning();
        assertThat(results.stream().map(r -> r.await().atMost(WAIT)).toList())
                .containsExactly("a1!", "b1!", "c1!", "a2!", "d1!", "e1!", "f1!");
    }

    @Test
    void neverPutsTwoItemsWithOneKeyInABatchAndKeepsTheirOrder() {
        List<Uni<String>> results = new ArrayList<>();
        for (String item : List.of("x0", "a1", "a2", "b1", "a3")) {
            results.add(batcher.submit(item).memoize().indefinitely());
        }
        results.forEach(r -> r.subscribe().with(x -> { }, f -> { }));
        completeRunning();
        assertThat(batches.get(1)).containsExactly("a1", "b1");
        completeRunning();
        assertThat(batches.get(2)).containsExactly("a2");
        completeRunning();
        assertThat(batches.get(3)).containsExactly("a3");
        completeRunning();
        assertThat(results.stream().map(r -> r.await().atMost(WAIT)).toList())
                .containsExactly("x0!", "a1!", "a2!", "b1!", "a3!");
    }

    @Test
    void runsAFailedBatchAgainItemByItemSoThatOnlyTheBadItemFails() {
        Uni<String> first = batcher.submit("x0").memoize().indefinitely();
        first.subscribe().with(x -> { }, f -> { });
        Uni<String> good = batcher.submit("g1").memoize().indefinitely();
        Uni<String> bad = batcher.submit("bad").memoize().indefinitely();
        good.subscribe().with(x -> { }, f -> { });
        bad.subscribe().with(x -> { }, f -> { });
        completeRunning();
        // [g1, bad] failed: g1 alone, then bad alone
        assertThat(batches.get(1)).containsExactly("g1", "bad");
        assertThat(batches.get(2)).containsExactly("g1");
        completeRunning();
        assertThat(batches.get(3)).containsExactly("bad");
        assertThat(good.await().atMost(WAIT)).isEqualTo("g1!");
        assertThat(bad.onFailure().recoverWithItem(Throwable::getMessage).await().atMost(WAIT)).isEqualTo("bad item");
    }
}
