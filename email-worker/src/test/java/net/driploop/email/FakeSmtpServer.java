package net.driploop.email;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny SMTP server whose replies a test scripts through the recipient's address: {@code reject-…} is refused
 * with 550, {@code defer<N>-…} with 451 for its first N attempts, {@code deferalways-…} always; anything else is
 * accepted and counted.
 */
final class FakeSmtpServer implements AutoCloseable {

    private static final Pattern DEFER = Pattern.compile("defer(\\d+|always)-.*");

    private final ServerSocket server;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    FakeSmtpServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "fake-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** How many messages were accepted for this address. */
    int accepted(String address) {
        AtomicInteger count = accepted.get(address.toLowerCase(Locale.ROOT));
        return count == null ? 0 : count.get();
    }

    private void accept() {
        while (running) {
            try {
                Socket socket = server.accept();
                Thread session = new Thread(() -> session(socket), "fake-smtp-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void session(Socket socket) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII);
            reply(out, "220 fake.test ESMTP");
            List<String> recipients = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String command = line.toUpperCase(Locale.ROOT);
                if (command.startsWith("EHLO") || command.startsWith("HELO")) {
                    reply(out, "250 fake.test");
                } else if (command.startsWith("MAIL FROM")) {
                    recipients.clear();
                    reply(out, "250 2.1.0 OK");
                } else if (command.startsWith("RCPT TO")) {
                    String address = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>')).toLowerCase(Locale.ROOT);
                    String refusal = refusal(address);
                    if (refusal == null) {
                        recipients.add(address);
                        reply(out, "250 2.1.5 OK");
                    } else {
                        reply(out, refusal);
                    }
                } else if (command.equals("DATA")) {
                    if (recipients.isEmpty()) {
                        reply(out, "503 5.5.1 no valid recipients");
                        continue;
                    }
                    reply(out, "354 go ahead");
                    while ((line = in.readLine()) != null && !line.equals(".")) {
                        // the message itself is not kept
                    }
                    recipients.forEach(r -> accepted.computeIfAbsent(r, k -> new AtomicInteger()).incrementAndGet());
                    recipients.clear();
                    reply(out, "250 2.0.0 OK queued");
                } else if (command.equals("QUIT")) {
                    reply(out, "221 2.0.0 bye");
                    return;
                } else if (command.equals("RSET") || command.equals("NOOP")) {
                    recipients.clear();
                    reply(out, "250 2.0.0 OK");
                } else {
                    reply(out, "502 5.5.2 not implemented");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private String refusal(String address) {
        if (address.startsWith("reject-")) {
            return "550 5.1.1 mailbox unavailable";
        }
        Matcher defer = DEFER.matcher(address);
        if (defer.matches()) {
            int attempt = attempts.computeIfAbsent(address, k -> new AtomicInteger()).incrementAndGet();
            if (defer.group(1).equals("always") || attempt <= Integer.parseInt(defer.group(1))) {
                return "451 4.3.0 try again later";
            }
        }
        return null;
    }

    private static void reply(Writer out, String line) throws IOException {
        out.write(line + "\r\n");
        out.flush();
    }

    @Override
    public void close() throws IOException {
        running = false;
        server.close();
    }
}
