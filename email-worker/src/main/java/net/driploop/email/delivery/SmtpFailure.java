package net.driploop.email.delivery;

import io.vertx.ext.mail.SMTPException;
import net.driploop.kit.http.Unavailable;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

import java.io.IOException;

/**
 * What an SMTP failure means for retrying: a 5xx reply is permanent; a 4xx reply, a refused or lost
 * connection, a timeout and an open circuit breaker are transient. {@code reply} is the server's reply or the error text, for the log.
 */
record SmtpFailure(boolean permanent, Integer code, String reply) {

    static SmtpFailure of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SMTPException smtp) {
                String reply = smtp.getReplyMessage() == null || smtp.getReplyMessage().isBlank()
                        ? smtp.getMessage() : smtp.getReplyMessage();
                return new SmtpFailure(smtp.getReplyCode() >= 500, smtp.getReplyCode(), reply);
            }
        }
        if (failure instanceof CircuitBreakerOpenException) {
            return new SmtpFailure(false, null, "not attempted: the SMTP circuit breaker is open after repeated connection failures");
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        boolean transientFailure = Unavailable.isUnavailable(failure) || causedBy(failure, IOException.class)
                || message.toLowerCase().contains("connection") || message.toLowerCase().contains("closed");
        return new SmtpFailure(!transientFailure, null, message);
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
