package net.driploop.infra;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.server.AbstractServer;
import com.icegreen.greenmail.server.ProtocolHandler;
import com.icegreen.greenmail.smtp.SmtpServer;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.Map;

/**
 * GreenMail whose SMTP server answers each command at once. GreenMail writes a reply in two pieces (the text, then
 * the line end); with Nagle's algorithm on, the second piece waits for the client to acknowledge the first, which
 * a client with nothing to send delays by about 40 ms: some 45 ms per command, about 200 ms per mail. With
 * {@code TCP_NODELAY} on its connections a mail takes a few milliseconds.
 */
final class PromptGreenMail extends GreenMail {

    PromptGreenMail(ServerSetup setup) {
        super(setup);
    }

    @Override
    protected Map<String, AbstractServer> createServices(ServerSetup[] config, Managers managers) {
        Map<String, AbstractServer> services = super.createServices(config, managers);
        for (ServerSetup setup : config) {
            if (ServerSetup.PROTOCOL_SMTP.equals(setup.getProtocol())) {
                services.put(setup.getProtocol(), new SmtpServer(setup, managers) {
                    @Override
                    protected ProtocolHandler createProtocolHandler(Socket socket) {
                        try {
                            socket.setTcpNoDelay(true);
                        } catch (SocketException e) {
                            throw new UncheckedIOException(e);
                        }
                        return super.createProtocolHandler(socket);
                    }
                });
            }
        }
        return services;
    }
}
