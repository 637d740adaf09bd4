package net.driploop.model.command;

import java.time.Instant;
import java.util.Map;

/**
 * Send one email of one flow step. {@code subject}, {@code text} and {@code html} are Qute templates that the
 * email worker renders with {@code data} ({@code user}, {@code event}, {@code purchase}); {@code to} is already
 * resolved. {@code sendOnce} = at most once per user for this step across executions; {@code maxCount} = at
 * most that many per user; within one execution a step sends at most once, always (the id is
 * {@code {executionId}:{stepId}}).
 */
public record SendEmail(
        String id,
        String appId,
        String externalUserId,
        String flowId,
        int flowVersion,
        String executionId,
        String stepId,
        String to,
        String subject,
        String text,
        String html,
        Map<String, Object> data,
        boolean sendOnce,
        Integer maxCount,
        String correlationId,
        Instant requestedAt) {
}
