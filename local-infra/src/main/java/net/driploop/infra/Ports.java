package net.driploop.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free loopback ports for servers started in tests. */
public final class Ports {

    /**
     * Every port handed out in this JVM. The kernel may offer a port it just offered again once the probing socket
     * is closed, so servers started one after another could otherwise be given the same port.
     */
    private static final Set<Integer> ISSUED = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /** A port that was free a moment ago and that no earlier call in this JVM returned. */
    public static int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                socket.setReuseAddress(true);
                int port = socket.getLocalPort();
                if (ISSUED.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port that was not handed out before");
    }
}
