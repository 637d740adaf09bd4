package net.driploop.webhook.delivery;

import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.webhook.config.WebhookConfig;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many attempts run on this replica, in all ({@code max-in-flight}) and per target ({@code max-per-target}, a
 * target being scheme, host and port). A delivery that finds no room is left due in the table and its target
 * marked <em>waiting</em>; as attempts end, {@link RetrySweeper} claims the waiting targets' oldest deliveries up to
 * their room. So a slow receiver holds at most its own share of the worker, never a slot another target could use,
 * and a target's deliveries start in the order they were stored.
 */
@ApplicationScoped
public class TargetLimits {

    /** The target of a URL that does not parse: its attempt fails at once, it needs no limit of its own. */
    static final String UNKNOWN = "";

    private final int maxInFlight;
    private final int maxPerTarget;
    private final Map<String, Integer> active = new HashMap<>();
    /** Targets with deliveries left waiting, and when the last one was left (System.nanoTime). */
    private final Map<String, Long> waiting = new HashMap<>();
    private int inFlight;
    private volatile Runnable onRoom = () -> {
    };

    public TargetLimits(WebhookConfig config) {
        this.maxInFlight = config.maxInFlight();
        this.maxPerTarget = config.maxPerTarget();
    }

    /** The limiting key of a URL: {@code scheme://host:port}, lower case, the default port made explicit. */
    static String of(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (uri.getHost() == null) {
                return UNKNOWN;
            }
            int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
        } catch (Exception e) {
            return UNKNOWN;
        }
    }

    /** What to run when attempts end while deliveries wait (the sweeper's refill). */
    void onRoom(Runnable action) {
        this.onRoom = action;
    }

    /**
     * Takes a slot for a new delivery on {@code target} if both limits allow it and none of the target's deliveries
     * is waiting already (they go first).
     */
    synchronized boolean tryAcquire(String target) {
        if (inFlight >= maxInFlight || active.getOrDefault(target, 0) >= maxPerTarget || waiting.containsKey(target)) {
            return false;
        }
        acquire(target);
        return true;
    }

    /** Takes a slot whatever the limits (a claim sized by the rooms a moment ago). */
    synchronized void acquire(String target) {
        inFlight++;
        active.merge(target, 1, Integer::sum);
    }

    /** Gives a slot back; wakes the refill when deliveries wait. */
    void release(String target) {
        boolean wake;
        synchronized (this) {
            inFlight--;
            active.computeIfPresent(target, (key, n) -> n == 1 ? null : n - 1);
            wake = !waiting.isEmpty();
        }
        if (wake) {
            onRoom.run();
        }
    }

    /** Marks {@code target} as having deliveries waiting in the table; wakes the refill. */
    void waiting(String target) {
        synchronized (this) {
            waiting.put(target, System.nanoTime());
        }
        onRoom.run();
    }

    /**
     * After a claim of up to {@code asked} of the target's due deliveries, started at {@code since}, found {@code got}:
     * none means none is waiting (unless one was left waiting since); all it asked for means more may be.
     */
    synchronized void claimed(String target, int asked, int got, long since) {
        if (got == 0) {
            Long last = waiting.get(target);
            if (last != null && last - since <= 0) {
                waiting.remove(target);
            }
        } else if (got >= asked) {
            waiting.putIfAbsent(target, since);
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }

    /** What may start now: in all, and for each target with attempts running (others may start {@code maxPerTarget}). */
    synchronized Rooms rooms() {
        List<String> full = new ArrayList<>();
        List<String> busy = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        active.forEach((target, n) -> {
            if (n >= maxPerTarget) {
                full.add(target);
            } else {
                busy.add(target);
                room.add(maxPerTarget - n);
            }
        });
        return new Rooms(Math.max(0, maxInFlight - inFlight), maxPerTarget, full.toArray(String[]::new),
                busy.toArray(String[]::new), room.toArray(Integer[]::new));
    }

    /** The waiting targets that have room now, with their room (within the total room). */
    synchronized Map<String, Integer> waitingRooms() {
        Map<String, Integer> rooms = new HashMap<>();
        int total = maxInFlight - inFlight;
        for (String target : waiting.keySet()) {
            int room = Math.min(total, maxPerTarget - active.getOrDefault(target, 0));
            if (room > 0) {
                rooms.put(target, room);
                total -= room;
            }
        }
        return rooms;
    }

    /** A snapshot for a claim: total room, the per-target limit, targets at it, and the room of the others running. */
    record Rooms(int total, int perTarget, String[] full, String[] busy, Integer[] busyRoom) {

        /** The room of {@code target}, as the claim counted it. */
        int of(String target) {
            for (int i = 0; i < busy.length; i++) {
                if (busy[i].equals(target)) {
                    return busyRoom[i];
                }
            }
            return perTarget;
        }
    }
}
