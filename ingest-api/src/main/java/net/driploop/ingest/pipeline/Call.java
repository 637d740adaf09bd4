package net.driploop.ingest.pipeline;

/** What a public-API request sent: its method, path, raw body and optional Idempotency-Key. */
public record Call(String method, String path, String body, String idempotencyKey) {
}
