package net.driploop.webhook.delivery;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates made for a test with the JDK's keytool: a PKCS#12 key store per host name (a DNS name
 * only, no IP address), and PEM files of their certificates to trust.
 */
final class TestCertificates {

    private static final char[] PASSWORD = "changeit".toCharArray();
    private final Path dir;

    TestCertificates() throws Exception {
        dir = Files.createTempDirectory("webhook-tls");
        dir.toFile().deleteOnExit();
    }

    /** Creates a key and a self-signed certificate for {@code dnsName} under {@code name}; returns its PEM file. */
    Path create(String name, String dnsName) throws Exception {
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=" + dnsName + ", OU=" + name, "-ext", "SAN=dns:" + dnsName, "-validity", "2",
                "-keystore", keyStore(name).toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
        Path pem = dir.resolve(name + ".pem");
        keytool("-exportcert", "-rfc", "-alias", name, "-keystore", keyStore(name).toString(),
                "-storepass", new String(PASSWORD), "-file", pem.toString());
        return pem;
    }

    /** One PEM file holding the certificates of {@code pems}. */
    Path bundle(String name, Path... pems) throws Exception {
        StringBuilder all = new StringBuilder();
        for (Path pem : pems) {
            all.append(Files.readString(pem)).append('\n');
        }
        return Files.writeString(dir.resolve(name), all);
    }

    /** A server-side TLS context that presents the key and certificate created under {@code name}. */
    SSLContext serverContext(String name) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore(name))) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    private Path keyStore(String name) {
        return dir.resolve(name + ".p12");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}
