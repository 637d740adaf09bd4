package net.driploop.email.retry;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.outbox.DeadLetter;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.SendEmail;

import java.util.List;

/**
 * Writes a command whose retries ran out to {@code driploop.email-commands.v1.dlq} through the outbox, in the
 * transaction that records the failure: the command, its CloudEvents attributes, and why in the
 * {@link net.driploop.model.DeadLetterHeaders} ({@code dead-letter-reason}, {@code dead-letter-cause}, …).
 */
@ApplicationScoped
public class DeadLetters {

    private final OutboxWriter outbox;

    public DeadLetters(OutboxWriter outbox) {
        this.outbox = outbox;
    }

    /** The dead letter's outbox row, for the relay once the transaction of {@code sql} commits. */
    public Uni<List<StoredRecord>> write(SqlClient sql, SendEmail command, String commandJson, String ceId,
            String cause, int attempts) {
        return outbox.insert(sql, List.of(DeadLetter.retriesExhausted(Topics.EMAIL_COMMANDS, null, null, cause, attempts)
                .of(ceId == null ? command.id() : ceId, CommandTypes.SEND_EMAIL, command.appId(),
                        command.externalUserId(), command.correlationId(), commandJson)));
    }
}
