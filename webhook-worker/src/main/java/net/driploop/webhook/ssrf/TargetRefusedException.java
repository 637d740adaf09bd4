package net.driploop.webhook.ssrf;

/** A URL the worker will not call (a scheme other than http/https, a malformed URL, a forbidden address). */
public class TargetRefusedException extends RuntimeException {

    public TargetRefusedException(String reason) {
        super(reason, null, false, false);
    }
}
