package net.driploop.email.delivery;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * As many SMTP attempts at once as the mailer has pooled connections ({@code quarkus.mailer.max-pool-size});
 * the others wait here for a slot. The send timeout starts once an attempt has its slot: an attempt that timed
 * out while queued inside the mail client's pool would still be sent later, and its retry would be a second copy.
 */
@ApplicationScoped
public class SendSlots {

    /** A queued attempt: given its slot once one is free, unless it was cancelled first. */
    private static final class Waiter {
        private final UniEmitter<? super Void> emitter;
        private boolean granted;

        Waiter(UniEmitter<? super Void> emitter) {
            this.emitter = emitter;
        }
    }

    private final int size;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private int used;

    public SendSlots(@ConfigProperty(name = "quarkus.mailer.max-pool-size", defaultValue = "10") int size) {
        this.size = Math.max(1, size);
    }

    /** Runs {@code attempt} once a slot is free, and frees the slot when it ends (either way). */
    public <T> Uni<T> run(Supplier<Uni<? extends T>> attempt) {
        return acquire().flatMap(v -> Uni.createFrom().<T>deferred(attempt).onTermination().invoke(this::release));
    }

    private Uni<Void> acquire() {
        return Uni.createFrom().emitter(emitter -> {
            Waiter waiter = new Waiter(emitter);
            synchronized (this) {
                if (used < size) {
                    used++;
                    waiter.granted = true;
                } else {
                    waiting.add(waiter);
                }
            }
            if (waiter.granted) {
                emitter.complete(null);
            } else {
                emitter.onTermination(() -> {
                    synchronized (this) {
                        if (!waiter.granted) {
                            waiting.remove(waiter);
                        }
                    }
                });
            }
        });
    }

    private void release() {
        Waiter next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                used--;
                return;
            }
            next.granted = true;
        }
        next.emitter.complete(null);
    }
}
