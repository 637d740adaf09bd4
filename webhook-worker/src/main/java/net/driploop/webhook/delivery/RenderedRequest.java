package net.driploop.webhook.delivery;

import java.util.Map;

/** A webhook request after templating: what is signed and sent. {@code body} is empty for GET. */
public record RenderedRequest(String method, String url, Map<String, String> headers, byte[] body) {
}
