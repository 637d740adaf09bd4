import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sink SMTP server for bench/email.sh: accepts every message (ESMTP with PIPELINING, no TLS, no auth), keeps
 * nothing but one line per message, {@code <epoch ms> <Message-ID>}, appended to a file. One thread per
 * connection (the worker keeps a small pool of connections open). Run with
 * {@code java bench/email/SmtpSink.java <port> <arrivals file>}; it prints {@code SINK READY} once it listens,
 * and {@code connection <n>} for each connection it accepts.
 */
public class SmtpSink {

    private static final LinkedBlockingQueue<String> ARRIVALS = new LinkedBlockingQueue<>();
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SmtpSink <port> <arrivals file>");
            System.exit(2);
        }
        Path file = Path.of(args[1]);
        Thread writer = new Thread(() -> write(file), "arrivals-writer");
        writer.setDaemon(true);
        writer.start();
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])), 512);
            System.out.println("SINK READY on 127.0.0.1:" + args[0]);
            System.out.flush();
            while (true) {
                Socket socket = server.accept();
                int n = CONNECTIONS.incrementAndGet();
                System.out.println("connection " + n);
                System.out.flush();
                Thread thread = new Thread(() -> serve(socket), "smtp-" + n);
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    private static void write(Path file) {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            List<String> batch = new ArrayList<>();
            while (true) {
                String first = ARRIVALS.poll(200, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    ARRIVALS.drainTo(batch);
                    for (String line : batch) {
                        out.write(line);
                        out.write('\n');
                    }
                    batch.clear();
                }
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("arrivals writer stopped: " + e);
        }
    }

    private static void serve(Socket socket) {
        try (socket; Lines in = new Lines(socket.getInputStream()); OutputStream out = socket.getOutputStream()) {
            socket.setTcpNoDelay(true);
            Replies replies = new Replies(out);
            replies.add("220 sink ESMTP");
            replies.flush();
            String line;
            while ((line = in.line()) != null) {
                String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase();
                switch (verb) {
                    case "EHLO" -> replies.add("250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800");
                    case "HELO", "MAIL", "RCPT", "RSET", "NOOP" -> replies.add("250 OK");
                    case "DATA" -> {
                        replies.add("354 go ahead");
                        replies.flush();
                        String messageId = "-";
                        boolean headers = true;
                        String data;
                        while ((data = in.line()) != null && !data.equals(".")) {
                            if (headers) {
                                if (data.isEmpty()) {
                                    headers = false;
                                } else if (data.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                                    messageId = data.substring(11).trim();
                                }
                            }
                        }
                        if (data == null) {
                            return;
                        }
                        ARRIVALS.add(System.currentTimeMillis() + " " + messageId);
                        replies.add("250 OK queued");
                    }
                    case "QUIT" -> {
                        replies.add("221 bye");
                        replies.flush();
                        return;
                    }
                    default -> replies.add("502 not implemented");
                }
                // PIPELINING: answer a group of commands at once, when nothing more has arrived
                if (!in.ready()) {
                    replies.flush();
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** CRLF-terminated ASCII lines from a stream, with its own buffer. */
    private static final class Lines implements AutoCloseable {
        private final InputStream in;
        private final byte[] buffer = new byte[65536];
        private int pos;
        private int limit;
        private final StringBuilder line = new StringBuilder(256);

        Lines(InputStream in) {
            this.in = in;
        }

        String line() throws IOException {
            line.setLength(0);
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer);
                    pos = 0;
                    if (limit <= 0) {
                        return null;
                    }
                }
                byte b = buffer[pos++];
                if (b == '\n') {
                    int n = line.length();
                    if (n > 0 && line.charAt(n - 1) == '\r') {
                        line.setLength(n - 1);
                    }
                    return line.toString();
                }
                line.append((char) (b & 0xff));
            }
        }

        boolean ready() throws IOException {
            return pos < limit || in.available() > 0;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Replies collected until flushed. */
    private static final class Replies {
        private final OutputStream out;
        private final StringBuilder pending = new StringBuilder();

        Replies(OutputStream out) {
            this.out = out;
        }

        void add(String reply) {
            pending.append(reply).append("\r\n");
        }

        void flush() throws IOException {
            if (pending.length() > 0) {
                out.write(pending.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                pending.setLength(0);
            }
        }
    }
}
