package net.driploop.webhook.delivery;

import java.time.Duration;
import java.util.Optional;

/**
 * What one attempt came to: an HTTP status (0 when there was no response) and its Retry-After, or an error;
 * {@code permanent} errors (a refused target, a template that does not render) are not retried.
 */
public record AttemptOutcome(int status, Optional<Duration> retryAfter, long latencyMillis, String error,
        boolean permanent) {

    static AttemptOutcome response(int status, Optional<Duration> retryAfter, long latencyMillis) {
        return new AttemptOutcome(status, retryAfter, latencyMillis, null, false);
    }

    static AttemptOutcome error(String error, long latencyMillis) {
        return new AttemptOutcome(0, Optional.empty(), latencyMillis, error, false);
    }

    static AttemptOutcome refused(String reason) {
        return new AttemptOutcome(0, Optional.empty(), 0, reason, true);
    }

    public boolean delivered() {
        return status >= 200 && status < 300;
    }

    /** 410 Gone: the receiver asks us to stop. */
    public boolean gone() {
        return status == 410;
    }
}
