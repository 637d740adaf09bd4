package net.driploop.infra;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;

import java.util.Arrays;
import java.util.List;

/**
 * One GreenMail SMTP server per test JVM, started on first use on a port that stays the same when a test
 * stops and restarts it (to check what happens while SMTP is down).
 */
public final class TestSmtp {

    private static int port;
    private static GreenMail greenMail;

    private TestSmtp() {
    }

    /** Starts the server if it is not running; returns its port. */
    public static synchronized int start() {
        if (port == 0) {
            port = Ports.free();
            Runtime.getRuntime().addShutdownHook(new Thread(TestSmtp::stop, "greenmail-stop"));
        }
        if (greenMail == null || !greenMail.isRunning()) {
            greenMail = new PromptGreenMail(ServerSetupTest.SMTP.port(port));
            greenMail.start();
        }
        return port;
    }

    /** Stops the server (connections are refused until {@link #start()}); mail received so far is dropped. */
    public static synchronized void stop() {
        if (greenMail != null) {
            greenMail.stop();
            greenMail = null;
        }
    }

    /** The messages received since the server last started. */
    public static synchronized List<MimeMessage> received() {
        return greenMail == null ? List.of() : Arrays.asList(greenMail.getReceivedMessages());
    }

    /** The port, fixed for the JVM (0 before the first start). */
    public static synchronized int port() {
        return port;
    }
}
