package net.driploop.email.retry;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.DeadLetterSender;
import net.driploop.kit.outbox.DeadLetter;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.SendEmail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Channel;

import java.util.List;

/**
 * Dead letters of {@code driploop.email-commands.v1}, on {@code driploop.email-commands.v1.dlq}, with why in the
 * {@link DeadLetterHeaders}. A command whose retries ran out goes through the outbox, in the transaction that
 * records the failure; a record that cannot be read as a command at all (no user, no transaction to join) is
 * sent as it came, straight to Kafka, before its offset is committed ({@link DeadLetterSender}).
 */
@ApplicationScoped
public class DeadLetters {

    private final OutboxWriter outbox;
    private final DeadLetterSender sender;
    private final MutinyEmitter<String> emitter;

    public DeadLetters(OutboxWriter outbox, DeadLetterSender sender,
            @Channel("email-dead-letters") MutinyEmitter<String> emitter) {
        this.outbox = outbox;
        this.sender = sender;
        this.emitter = emitter;
    }

    /** The dead letter's outbox row, for the relay once the transaction of {@code sql} commits. */
    public Uni<List<StoredRecord>> write(SqlClient sql, SendEmail command, String commandJson, String ceId,
            String cause, int attempts) {
        return outbox.insert(sql, List.of(DeadLetter.retriesExhausted(Topics.EMAIL_COMMANDS, null, null, cause, attempts)
                .of(ceId == null ? command.id() : ceId, CommandTypes.SEND_EMAIL, command.appId(),
                        command.externalUserId(), command.correlationId(), commandJson)));
    }

    /**
     * Sends a record of {@code driploop.email-commands.v1} that could not be delivered (not a SendEmail, or its
     * delivery failed unexpectedly) as it came, with its headers and the reason; retried until the broker has it,
     * unless the worker is stopping.
     */
    public Uni<Void> send(ConsumerRecord<String, String> record, String reason) {
        return sender.send(emitter, record, reason);
    }
}
