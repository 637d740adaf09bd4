package net.driploop.webhook.ssrf;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The guard only resolves: no test here opens a connection to any address. */
class TargetGuardTest {

    /** Resolves IP literals as the JDK does (no DNS), plus made-up names for the cases that need a name. */
    static InetAddress[] resolve(String host) throws UnknownHostException {
        return switch (host) {
            case "metadata.test" -> new InetAddress[]{InetAddress.getByName("169.254.169.254")};
            case "split.test" -> new InetAddress[]{InetAddress.getByName("93.184.215.14"), InetAddress.getByName("10.1.2.3")};
            case "public.test" -> new InetAddress[]{InetAddress.getByName("93.184.215.14")};
            default -> InetAddress.getAllByName(host);
        };
    }

    final TargetGuard guard = new TargetGuard(false, TargetGuardTest::resolve);

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1/", "http://127.1.2.3:8080/x", "http://2130706433/", "http://0.0.0.0/", "http://0.1.2.3/",
            "http://10.0.0.1/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/", "http://169.254.0.1/", "http://100.64.0.1/", "http://100.127.255.254/",
            "http://224.0.0.1/", "http://239.255.255.250/", "http://255.255.255.255/", "http://240.0.0.1/",
            "http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
            "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:10.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://[::127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/", "http://[fec0::1]/",
            "https://metadata.test/", "https://split.test/", "http://localhost:8080/hook", "http://LOCALHOST/"})
    void refusesAddressesThatAreNotPublic(String url) {
        assertThatThrownBy(() -> guard.check(url)).isInstanceOf(TargetRefusedException.class)
                .hasMessageContaining("resolves to").hasMessageContaining("public addresses");
    }

    @Test
    void refusesANameThatResolvesToLoopbackNamingTheAddress() {
        assertThatThrownBy(() -> guard.check("http://localhost/hook")).isInstanceOf(TargetRefusedException.class)
                .hasMessageContaining("localhost resolves to").hasMessageContaining("loopback");
    }

    @Test
    void refusesTheCloudMetadataAddressAsLinkLocal() {
        assertThatThrownBy(() -> guard.check("http://169.254.169.254/latest/meta-data/"))
                .hasMessageContaining("link-local");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://public.test/", "file:///etc/passwd", "gopher://public.test/", "javascript:alert(1)",
            "//public.test/x", "http:///nohost", "http://user:pass@public.test/", "not a url", "dict://public.test:11211/"})
    void refusesOtherSchemesAndMalformedUrls(String url) {
        assertThatThrownBy(() -> guard.check(url)).isInstanceOf(TargetRefusedException.class);
    }

    @Test
    void acceptsAPublicAddressAndKeepsTheCheckedAddressHostPortAndPath() throws Exception {
        Target target = guard.check("https://public.test/hooks/renewal?x=1&y=%20");
        assertThat(target.ssl()).isTrue();
        assertThat(target.host()).isEqualTo("public.test");
        assertThat(target.port()).isEqualTo(443);
        assertThat(target.path()).isEqualTo("/hooks/renewal?x=1&y=%20");
        assertThat(target.address().getHostAddress()).isEqualTo("93.184.215.14");

        Target plain = guard.check("http://public.test:8080");
        assertThat(plain.ssl()).isFalse();
        assertThat(plain.port()).isEqualTo(8080);
        assertThat(plain.path()).isEqualTo("/");
        assertThat(guard.check("http://[2606:4700::1]/").address().getHostAddress()).startsWith("2606:4700");
    }

    @Test
    void allowPrivateTargetsLiftsTheAddressCheckButNotTheSchemeCheck() throws Exception {
        TargetGuard open = new TargetGuard(true, TargetGuardTest::resolve);
        assertThat(open.check("http://localhost:9/x").address().isLoopbackAddress()).isTrue();
        assertThatThrownBy(() -> open.check("file:///etc/passwd")).isInstanceOf(TargetRefusedException.class);
    }

    @Test
    void aNameThatDoesNotResolveIsAnUnknownHostNotARefusal() {
        TargetGuard guard = new TargetGuard(false, host -> {
            throw new UnknownHostException(host);
        });
        assertThatThrownBy(() -> guard.check("https://nowhere.invalid/")).isInstanceOf(UnknownHostException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1/x", "https://93.184.215.14:8443/", "http://2130706433/", "http://[::1]:80/",
            "http://10.1.2/"})
    void seesAddressLiteralsThatNeedNoDns(String url) {
        assertThat(TargetGuard.hasAddressLiteral(url)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost/", "https://hooks.example.com/x", "http://1.2.3.4.example.com/",
            "http://1..2/", "http://user@127.0.0.1/", "not a url", "http:///path"})
    void sendsEverythingElseToTheResolverOffTheEventLoop(String url) {
        assertThat(TargetGuard.hasAddressLiteral(url)).isFalse();
    }
}
