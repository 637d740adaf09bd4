package net.driploop.webhook.ssrf;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import net.driploop.webhook.config.WebhookConfig;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * The SSRF guard: only http and https, and every address the host resolves to must be public. Loopback,
 * private, link-local (cloud metadata at 169.254.169.254 included), CGNAT, unique-local, multicast,
 * unspecified and reserved addresses are refused, also when embedded in IPv6 (IPv4-mapped, -compatible,
 * NAT64, 6to4). The caller connects to the returned address, so a second DNS answer cannot redirect it.
 * {@code DRIPLOOP_WEBHOOK_ALLOW_PRIVATE_TARGETS=true} lifts the address check, for local use.
 */
@ApplicationScoped
public class TargetGuard {

    /** Resolves a host name to its addresses (blocking): the system's resolver ({@link SystemResolver}), or a test's. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private static final java.util.regex.Pattern IPV4_LITERAL = java.util.regex.Pattern.compile("[0-9]{1,10}(\\.[0-9]{1,10}){0,3}");

    private final boolean allowPrivate;
    private final Resolver resolver;

    @Inject
    public TargetGuard(WebhookConfig config, Resolver resolver) {
        this(config.allowPrivateTargets(), resolver);
    }

    public TargetGuard(boolean allowPrivate, Resolver resolver) {
        this.allowPrivate = allowPrivate;
        this.resolver = resolver;
    }

    /**
     * The checked target of {@code url}. Blocks on DNS: call it off the event loop. Throws
     * {@link TargetRefusedException} for a URL that must not be called and {@link UnknownHostException} when the
     * name does not resolve (which may pass: the caller retries).
     */
    public Target check(String url) throws UnknownHostException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            throw new TargetRefusedException("the URL is malformed");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new TargetRefusedException("only http and https URLs are called, not \"" + scheme + "\"");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new TargetRefusedException("the URL has no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new TargetRefusedException("credentials in the URL are not sent; use a header");
        }
        boolean ssl = scheme.equals("https");
        int port = uri.getPort() == -1 ? (ssl ? 443 : 80) : uri.getPort();
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses = resolver.resolve(bare);
        if (addresses.length == 0) {
            throw new UnknownHostException(bare);
        }
        if (!allowPrivate) {
            // every answer must be public: otherwise a name with one public and one private address could be used
            for (InetAddress address : addresses) {
                Optional<String> reason = forbidden(address);
                if (reason.isPresent()) {
                    throw new TargetRefusedException(host + " resolves to " + address.getHostAddress() + ", "
                            + reason.get() + "; webhooks are only sent to public addresses");
                }
            }
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        return new Target(url, ssl, bare, port, path, addresses[0]);
    }

    /**
     * Whether the URL's host is an IP address literal (resolving it needs no DNS); false when unsure. Only decides
     * where {@link #check} may run, not what it allows.
     */
    public static boolean hasAddressLiteral(String url) {
        int start = url.indexOf("://");
        if (start < 0) {
            return false;
        }
        start += 3;
        if (url.startsWith("[", start)) {
            return true;
        }
        int end = start;
        while (end < url.length() && "/?#:".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        return IPV4_LITERAL.matcher(url.substring(start, end)).matches();
    }

    /** Why the address must not be called, or empty for a public address. */
    public static Optional<String> forbidden(InetAddress address) {
        if (address instanceof Inet4Address) {
            return forbiddenV4(address.getAddress());
        }
        byte[] b = address.getAddress();
        if (address.isAnyLocalAddress()) {
            return Optional.of("an unspecified address");
        }
        if (address.isLoopbackAddress()) {
            return Optional.of("a loopback address");
        }
        if (address.isLinkLocalAddress()) {
            return Optional.of("a link-local address");
        }
        if (address.isSiteLocalAddress()) {
            return Optional.of("a site-local address");
        }
        if (address.isMulticastAddress()) {
            return Optional.of("a multicast address");
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return Optional.of("a unique-local address (fc00::/7)");
        }
        // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96 → check the IPv4 part
        if (isZero(b, 0, 10) && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0))
                || (b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && isZero(b, 4, 12))) {
            return embedded(b, 12);
        }
        if (b[0] == 0x20 && b[1] == 0x02) { // 6to4 2002::/16 carries an IPv4 address in bytes 2-5
            return embedded(b, 2);
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == (byte) 0xb8) {
            return Optional.of("a documentation address (2001:db8::/32)");
        }
        return Optional.empty();
    }

    private static Optional<String> embedded(byte[] b, int from) {
        byte[] v4 = {b[from], b[from + 1], b[from + 2], b[from + 3]};
        return forbiddenV4(v4).map(reason -> reason + " (IPv4 inside IPv6)");
    }

    private static Optional<String> forbiddenV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        if (a0 == 0) {
            return Optional.of("an unspecified address (0.0.0.0/8)");
        }
        if (a0 == 127) {
            return Optional.of("a loopback address");
        }
        if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
            return Optional.of("a private address");
        }
        if (a0 == 169 && a1 == 254) {
            return Optional.of("a link-local address (cloud metadata lives there)");
        }
        if (a0 == 100 && (a1 & 0xc0) == 64) {
            return Optional.of("a shared (CGNAT) address (100.64.0.0/10)");
        }
        if (a0 >= 224 && a0 <= 239) {
            return Optional.of("a multicast address");
        }
        if (a0 >= 240) {
            return Optional.of("a reserved or broadcast address");
        }
        if (a0 == 192 && a1 == 0 && (a2 == 0 || a2 == 2) || a0 == 198 && (a1 & 0xfe) == 18
                || a0 == 198 && a1 == 51 && a2 == 100 || a0 == 203 && a1 == 0 && a2 == 113) {
            return Optional.of("a special-purpose address");
        }
        return Optional.empty();
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
