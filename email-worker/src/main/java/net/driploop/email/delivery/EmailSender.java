package net.driploop.email.delivery;

import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.email.config.EmailConfig;
import net.driploop.model.command.SendEmail;
import io.smallrye.faulttolerance.api.CircuitBreakerName;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/** Sends one rendered email through the reactive mailer, with a Message-ID derived from the command id. */
@ApplicationScoped
public class EmailSender {

    /** The header that carries the correlationId of the API call that caused the email. */
    public static final String CORRELATION_HEADER = "X-Driploop-Correlation-Id";

    private final ReactiveMailer mailer;
    private final EmailConfig config;
    private final String domain;

    public EmailSender(ReactiveMailer mailer, EmailConfig config,
            @ConfigProperty(name = "quarkus.mailer.from") Optional<String> from) {
        this.mailer = mailer;
        this.config = config;
        this.domain = config.messageIdDomain()
                .or(() -> from.filter(f -> f.contains("@")).map(f -> f.substring(f.lastIndexOf('@') + 1).replace(">", "").trim()))
                .filter(d -> !d.isBlank())
                .orElse("driploop.local");
    }

    /** The rendered parts of one email. */
    public record Content(String subject, String text, String html) {
    }

    /**
     * Sends the email; fails with the SMTP error, or a TimeoutException after {@code driploop.email.send-timeout}.
     * A circuit breaker counts only failures to reach the server (refused, timed out, cut off), not a refused
     * recipient: while it is open, attempts fail at once with {@link CircuitBreakerOpenException} (transient, so
     * retried on schedule) instead of hammering a dead server.
     */
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 30, delayUnit = ChronoUnit.SECONDS,
            successThreshold = 1, failOn = {IOException.class, TimeoutException.class})
    @CircuitBreakerName("smtp")
    public Uni<String> send(SendEmail command, Content content) {
        String messageId = messageId(command.id());
        Mail mail = new Mail()
                .addTo(command.to())
                .setSubject(content.subject() == null ? "" : content.subject())
                .addHeader("Message-ID", messageId);
        if (command.correlationId() != null) {
            mail.addHeader(CORRELATION_HEADER, command.correlationId());
        }
        if (content.text() != null) {
            mail.setText(content.text());
        }
        if (content.html() != null) {
            mail.setHtml(content.html());
        }
        if (content.text() == null && content.html() == null) {
            mail.setText("");
        }
        return mailer.send(mail)
                .ifNoItem().after(config.sendTimeout())
                .failWith(() -> new TimeoutException("no SMTP answer within " + config.sendTimeout()))
                .replaceWith(messageId);
    }

    /**
     * {@code <command-id@domain>}: the same for every attempt of one command, so a receiving server or client
     * can recognise a copy. Characters outside letters, digits, {@code _} and {@code -} are percent-encoded
     * ({@code %} is allowed in a Message-ID, {@code :} is not).
     */
    public String messageId(String commandId) {
        StringBuilder out = new StringBuilder("<");
        for (byte b : commandId.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.append('@').append(domain).append('>').toString();
    }
}
