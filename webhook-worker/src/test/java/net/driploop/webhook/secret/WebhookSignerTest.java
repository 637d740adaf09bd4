package net.driploop.webhook.secret;

import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WebhookSignerTest {

    @Test
    void newSecretsAreWhsecAndTheBase64OfAtLeast24RandomBytes() {
        String one = WebhookSigner.newSecret();
        String two = WebhookSigner.newSecret();
        assertThat(one).startsWith("whsec_").isNotEqualTo(two);
        assertThat(Base64.getDecoder().decode(one.substring(6))).hasSizeGreaterThanOrEqualTo(24);
    }

    @Test
    void signatureMatchesAnIndependentImplementationOfTheStandardWebhooksSpec() throws Exception {
        String secret = WebhookSigner.newSecret();
        String id = "exe_01J0000000000000000000000:notify";
        long timestamp = 1_700_000_000L;
        byte[] body = "{\"user\":{\"name\":\"Zoë\"}}".getBytes(StandardCharsets.UTF_8);

        assertThat(WebhookSigner.signature(List.of(secret), id, timestamp, body))
                .isEqualTo("v1," + specSignature(secret, id, timestamp, body));
    }

    @Test
    void reproducesThePublishedStandardWebhooksTestVector() {
        // the vector of the Standard Webhooks / Svix reference libraries' own tests
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSigner.signature(List.of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, body))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void duringRotationSignsWithEverySecretSpaceSeparatedNewestFirst() throws Exception {
        String fresh = WebhookSigner.newSecret();
        String old = WebhookSigner.newSecret();
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);

        String header = WebhookSigner.signature(List.of(fresh, old), "msg_1", 42L, body);

        assertThat(header.split(" ")).containsExactly("v1," + specSignature(fresh, "msg_1", 42L, body),
                "v1," + specSignature(old, "msg_1", 42L, body));
    }

    @Test
    void aChangedBodyIdOrTimestampChangesTheSignature() {
        String secret = WebhookSigner.newSecret();
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String base = WebhookSigner.sign(secret, "id", 1L, body);
        assertThat(WebhookSigner.sign(secret, "id", 2L, body)).isNotEqualTo(base);
        assertThat(WebhookSigner.sign(secret, "id2", 1L, body)).isNotEqualTo(base);
        assertThat(WebhookSigner.sign(secret, "id", 1L, "{\"a\":2}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(base);
    }

    /**
     * The spec, written out independently: the signed content is {@code msg_id.timestamp.payload}; the key is the
     * base64-decoded secret without its {@code whsec_} prefix; the signature is the standard base64 of HMAC-SHA256.
     */
    static String specSignature(String secret, String msgId, long timestamp, byte[] payload) throws Exception {
        byte[] key = Base64.getDecoder().decode(secret.split("_", 2)[1]);
        byte[] prefix = (msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[prefix.length + payload.length];
        System.arraycopy(prefix, 0, content, 0, prefix.length);
        System.arraycopy(payload, 0, content, prefix.length, payload.length);
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        return Base64.getEncoder().encodeToString(hmac.doFinal(content));
    }
}
