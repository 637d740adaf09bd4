package net.driploop.webhook.ssrf;

import java.net.InetAddress;

/**
 * A checked webhook target: where to connect ({@code address}, the one the guard checked, never resolved again)
 * and what to ask for ({@code host} for the Host header, SNI and certificate check; {@code path} with its query).
 */
public record Target(String url, boolean ssl, String host, int port, String path, InetAddress address) {
}
