package net.driploop.ingest.auth;

/** The app and key an authenticated public-API request acts for. */
public record Caller(String appId, String keyId) {
}
