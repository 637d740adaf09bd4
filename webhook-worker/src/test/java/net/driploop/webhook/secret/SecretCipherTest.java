package net.driploop.webhook.secret;

import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretCipherTest {

    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @Test
    void decryptsWhatItEncryptedAndNeverStoresThePlainSecret() {
        SecretCipher cipher = new SecretCipher(KEY);
        String secret = WebhookSigner.newSecret();
        byte[] sealed = cipher.encrypt("app_1", secret);
        assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(secret.substring(6, 20));
        assertThat(cipher.decrypt("app_1", sealed)).isEqualTo(secret);
        assertThat(cipher.encrypt("app_1", secret)).isNotEqualTo(sealed);
    }

    @Test
    void refusesACiphertextOfAnotherAppOrAnotherKeyWithoutRevealingIt() {
        SecretCipher cipher = new SecretCipher(KEY);
        String secret = WebhookSigner.newSecret();
        byte[] sealed = cipher.encrypt("app_1", secret);
        assertThatThrownBy(() -> cipher.decrypt("app_2", sealed)).isInstanceOf(IllegalStateException.class)
                .message().doesNotContain(secret);
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;
        assertThatThrownBy(() -> new SecretCipher(Base64.getEncoder().encodeToString(otherKey)).decrypt("app_1", sealed))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesToStartWithoutAKey() {
        assertThatThrownBy(() -> SecretCipher.requireKey(java.util.Optional.empty()))
                .hasMessageContaining("DRIPLOOP_WEBHOOK_SECRET_KEY is not set");
        assertThatThrownBy(() -> SecretCipher.requireKey(java.util.Optional.of("  ")))
                .hasMessageContaining("DRIPLOOP_WEBHOOK_SECRET_KEY is not set");
    }

    @Test
    void refusesToStartWithAKeyThatIsNot32Bytes() {
        assertThatThrownBy(() -> new SecretCipher(Base64.getEncoder().encodeToString(new byte[16])))
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> new SecretCipher("not base64!")).hasMessageContaining("base64");
    }
}
