package net.driploop.model.event;

import java.time.Instant;
import java.util.Map;

/** One activity event as the client reported it. */
public record Activity(String id, String name, Map<String, Object> metadata, Instant recordedAt) {
}
