package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.qute.Engine;
import io.quarkus.qute.TemplateException;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.flow.definition.BranchStep;
import net.driploop.flow.definition.ConditionEvaluator;
import net.driploop.flow.definition.EmailStep;
import net.driploop.flow.definition.FlowDefinition;
import net.driploop.flow.definition.Reentry;
import net.driploop.flow.definition.Step;
import net.driploop.flow.definition.WaitForStep;
import net.driploop.flow.definition.WaitStep;
import net.driploop.flow.definition.WaitUntilStep;
import net.driploop.flow.definition.WebhookStep;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.SendEmail;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts executions and runs their steps, inside the caller's transaction, until a wait or the end; every
 * command and log entry goes to the caller's {@link Effects}, written to the outbox in that same transaction.
 */
@ApplicationScoped
class ExecutionRunner {

    private static final Engine QUTE = Engine.builder().addDefaults().build();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final String LIVE = "('running', 'waiting')";

    private final ObjectMapper mapper;
    private final FlowCatalog catalog;

    ExecutionRunner(ObjectMapper mapper, FlowCatalog catalog) {
        this.mapper = mapper;
        this.catalog = catalog;
    }

    /** One execution being advanced in this transaction, with the state its conditions see. */
    private record Run(Execution execution, FlowDefinition definition, ObjectNode context, Effects effects) {
    }

    /** Starts the flow for the event's user if its trigger condition holds and its reentry policy lets the user in. */
    Uni<Void> start(SqlClient sql, FlowCatalog.ActiveFlow flow, IncomingEvent in, UserState user, Effects effects) {
        FlowDefinition definition = flow.definition();
        if (!definition.trigger().listensTo(in.ceType(), in.activityName())) {
            return Uni.createFrom().voidItem();
        }
        ObjectNode context = context(user, in.triggerData());
        if (definition.trigger().when() != null && !ConditionEvaluator.matches(definition.trigger().when(), context)) {
            return Uni.createFrom().voidItem();
        }
        String id = Ids.newId(Ids.EXECUTION);
        String appId = user.appId();
        String externalUserId = user.externalUserId();
        OffsetDateTime now = now();
        Uni<Boolean> entered = definition.reentry() != Reentry.ONCE
                ? Uni.createFrom().item(true)
                : sql.preparedQuery("""
                                INSERT INTO flow.flow_entries (flow_id, app_id, external_user_id, execution_id, entered_at)
                                VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""")
                        .execute(Sql.params(flow.flowId(), appId, externalUserId, id, now))
                        .map(rows -> rows.rowCount() == 1);
        return entered.flatMap(first -> {
            if (!first) {
                return Uni.createFrom().item(false);
            }
            // exclusive executions rely on the partial unique index: a concurrent start of the same flow for the
            // same user waits for the other transaction and then inserts nothing
            return sql.preparedQuery("""
                            INSERT INTO flow.executions (id, app_id, flow_id, flow_version, external_user_id, exclusive,
                                status, current_step, correlation_id, trigger_data, started_at, updated_at)
                            VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9::text::jsonb, $10, $10)
                            ON CONFLICT (flow_id, app_id, external_user_id)
                                WHERE exclusive AND status IN ('running', 'waiting') DO NOTHING""")
                    .execute(Sql.params(id, appId, flow.flowId(), flow.version(), externalUserId,
                            definition.reentry() != Reentry.ALWAYS, definition.firstStep().id(), in.correlationId(),
                            write(in.triggerData()), now))
                    .map(rows -> rows.rowCount() == 1);
        }).flatMap(started -> {
            if (!started) {
                return Uni.createFrom().voidItem();
            }
            Execution execution = new Execution(id, appId, flow.flowId(), flow.version(), externalUserId,
                    in.correlationId(), in.triggerData(), Execution.RUNNING, definition.firstStep().id());
            effects.log("flow.triggered", execution, null, Effects.detail("trigger", definition.trigger().type().wire(),
                    "eventId", in.ceId(), "eventType", in.ceType()));
            effects.log("execution.started", execution, null, Effects.detail("flowVersion", flow.version(),
                    "reentry", definition.reentry().wire()));
            return runFrom(sql, new Run(execution, definition, context, effects), Optional.of(definition.firstStep()));
        });
    }

    /**
     * Fires a claimed timer of an execution the sweep locked, with its user's
     * state: continues the execution if it still waits at that step, so that an awaited event or a cancellation
     * in flight either finished first or sees the execution moved on.
     */
    Uni<Boolean> fireTimer(SqlClient sql, Execution execution, UserState user, String stepId, Effects effects) {
        if (!execution.waitingAt(stepId)) {
            return Uni.createFrom().item(false);
        }
        String executionId = execution.id();
        return catalog.definition(sql, execution.appId(), execution.flowId(), execution.flowVersion())
                .map(definition -> new Run(execution, definition, context(user, execution.triggerData()), effects))
                .flatMap(run -> {
                    Step step = run.definition().step(stepId).orElseThrow();
                    if (step instanceof WaitForStep waitFor) {
                        return sql.preparedQuery("DELETE FROM flow.awaited_events WHERE execution_id = $1")
                                .execute(Sql.params(executionId))
                                .flatMap(gone -> endWait(sql, run, stepId, Effects.detail("outcome", "timeout")))
                                .flatMap(v -> runFrom(sql, run, run.definition().continueAfter(stepId, waitFor.otherwise())));
                    }
                    String next = step instanceof WaitStep wait ? wait.next() : ((WaitUntilStep) step).next();
                    return endWait(sql, run, stepId, Effects.detail("outcome", "due"))
                            .flatMap(v -> runFrom(sql, run, run.definition().continueAfter(stepId, next)));
                }).replaceWith(true);
    }

    /**
     * Continues the user's executions that wait for this activity event (and whose {@code when} holds on it) at
     * {@code then}. The event wins only if it deletes the timeout timer first; a sweep that claimed it wins instead.
     */
    Uni<Void> deliverAwaited(SqlClient sql, IncomingEvent in, UserState user, Effects effects) {
        return sql.preparedQuery("""
                        SELECT a.execution_id, a.step_id, e.flow_id, e.flow_version
                        FROM flow.awaited_events a JOIN flow.executions e ON e.id = a.execution_id
                        WHERE a.app_id = $1 AND a.external_user_id = $2 AND a.event_name = $3
                        ORDER BY a.execution_id""")
                .execute(Sql.params(user.appId(), user.externalUserId(), in.activityName()))
                .flatMap(rows -> Sql.each(Sql.list(rows), row -> {
                    String executionId = row.getString("execution_id");
                    String stepId = row.getString("step_id");
                    return catalog.definition(sql, user.appId(), row.getString("flow_id"), row.getInteger("flow_version"))
                            .flatMap(definition -> {
                                WaitForStep step = (WaitForStep) definition.step(stepId).orElseThrow();
                                if (step.when() != null
                                        && !ConditionEvaluator.matches(step.when(), context(user, in.triggerData()))) {
                                    return Uni.createFrom().voidItem();
                                }
                                return sql.preparedQuery("DELETE FROM flow.timers WHERE execution_id = $1 AND step_id = $2 "
                                                + "AND kind = 'wait_for_timeout' RETURNING id")
                                        .execute(Sql.params(executionId, stepId))
                                        .flatMap(timers -> timers.rowCount() == 0 ? Uni.createFrom().voidItem()
                                                : continueOnEvent(sql, executionId, definition, step, in, user, effects));
                            });
                }));
    }

    private Uni<Void> continueOnEvent(SqlClient sql, String executionId, FlowDefinition definition, WaitForStep step,
            IncomingEvent in, UserState user, Effects effects) {
        return lock(sql, executionId).flatMap(found -> {
            if (found.isEmpty() || !found.get().waitingAt(step.id())) {
                return Uni.createFrom().voidItem();
            }
            Execution execution = found.get();
            Run run = new Run(execution, definition, context(user, execution.triggerData()), effects);
            return sql.preparedQuery("DELETE FROM flow.awaited_events WHERE execution_id = $1")
                    .execute(Sql.params(executionId))
                    .flatMap(gone -> endWait(sql, run, step.id(), Effects.detail("outcome", "event", "eventId", in.ceId())))
                    .flatMap(v -> runFrom(sql, run, definition.continueAfter(step.id(), step.then())));
        });
    }

    /** Ends, as exited, the user's live executions whose {@code exitWhen} holds on the user's new state. */
    Uni<Void> exitMatching(SqlClient sql, UserState user, String correlationId, Effects effects) {
        return live(sql, user.appId(), user.externalUserId()).flatMap(executions -> Sql.each(executions, execution ->
                catalog.definition(sql, execution.appId(), execution.flowId(), execution.flowVersion())
                        .flatMap(definition -> {
                            if (definition.exitWhen() == null || !ConditionEvaluator.matches(definition.exitWhen(),
                                    context(user, execution.triggerData()))) {
                                return Uni.createFrom().voidItem();
                            }
                            return stopLive(sql, execution, Execution.EXITED, "exit_when", "execution.exited",
                                    correlationId, effects);
                        })));
    }

    /** Cancels every live execution of a deleted user at once: no timer of theirs fires, no later step runs. */
    Uni<Void> cancelAll(SqlClient sql, String appId, String externalUserId, String correlationId, Effects effects) {
        return live(sql, appId, externalUserId).flatMap(executions -> Sql.each(executions,
                execution -> stopLive(sql, execution, Execution.CANCELLED, "user_deleted", "execution.cancelled",
                        correlationId, effects)));
    }

    /**
     * Stops a live execution from outside its run, logged in the trace of the call that caused it: timers first (the order the sweep locks in, so the two never
     * deadlock), then the execution if it is still live.
     */
    private Uni<Void> stopLive(SqlClient sql, Execution execution, String status, String reason, String logType,
            String correlationId, Effects effects) {
        OffsetDateTime now = now();
        return sql.preparedQuery("DELETE FROM flow.timers WHERE execution_id = $1").execute(Sql.params(execution.id()))
                .flatMap(t -> sql.preparedQuery("DELETE FROM flow.awaited_events WHERE execution_id = $1")
                        .execute(Sql.params(execution.id())))
                .flatMap(a -> sql.preparedQuery("UPDATE flow.executions SET status = $2, ended_at = $3, end_reason = $4, "
                                + "updated_at = $3 WHERE id = $1 AND app_id = $5 AND status IN " + LIVE)
                        .execute(Sql.params(execution.id(), status, now, reason, execution.appId())))
                .flatMap(updated -> {
                    if (updated.rowCount() == 0) {
                        return Uni.createFrom().voidItem();
                    }
                    effects.log(logType, correlationId, execution, execution.currentStep(), Effects.detail("reason", reason,
                            "startedBy", execution.correlationId()));
                    return sql.preparedQuery("UPDATE flow.execution_steps SET status = $2, ended_at = $3 "
                                    + "WHERE execution_id = $1 AND status = 'waiting'")
                            .execute(Sql.params(execution.id(), status, now)).replaceWithVoid();
                });
    }

    private Uni<List<Execution>> live(SqlClient sql, String appId, String externalUserId) {
        return sql.preparedQuery("SELECT " + Execution.COLUMNS + " FROM flow.executions "
                        + "WHERE app_id = $1 AND external_user_id = $2 AND status IN " + LIVE + " ORDER BY started_at, id")
                .execute(Sql.params(appId, externalUserId))
                .map(rows -> Sql.list(rows).stream().map(this::execution).toList());
    }

    private Uni<Optional<Execution>> lock(SqlClient sql, String executionId) {
        return sql.preparedQuery("SELECT " + Execution.COLUMNS + " FROM flow.executions WHERE id = $1 FOR UPDATE")
                .execute(Sql.params(executionId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(execution(rows.iterator().next())));
    }

    /** Runs steps from {@code next} until one waits or the flow ends; {@code exitWhen} is checked before each. */
    private Uni<Void> runFrom(SqlClient sql, Run run, Optional<Step> next) {
        if (next.isEmpty()) {
            return finish(sql, run, Execution.COMPLETED, "completed", "execution.completed");
        }
        Step step = next.get();
        FlowDefinition definition = run.definition();
        if (definition.exitWhen() != null && ConditionEvaluator.matches(definition.exitWhen(), run.context())) {
            return finish(sql, run, Execution.EXITED, "exit_when", "execution.exited");
        }
        Instant now = Timestamps.now();
        if (step instanceof WaitStep wait) {
            return sleep(sql, run, step, "wait", now.plus(wait.duration()));
        }
        if (step instanceof WaitUntilStep until) {
            Optional<Instant> due = until.dueAt(run.context());
            if (due.isEmpty()) {
                return record(sql, run, step, "failed", Effects.detail("reason", "no date at " + until.at()))
                        .flatMap(v -> finish(sql, run, Execution.FAILED, "wait_until_without_date", "execution.failed"));
            }
            if (!due.get().isAfter(now)) {
                Map<String, Object> detail = Effects.detail("dueAt", Timestamps.format(due.get()), "outcome", "past");
                run.effects().log("step.completed", run.execution(), step.id(), detail);
                return record(sql, run, step, "completed", detail)
                        .flatMap(v -> runFrom(sql, run, definition.continueAfter(step.id(), until.next())));
            }
            return sleep(sql, run, step, "wait_until", due.get());
        }
        if (step instanceof WaitForStep waitFor) {
            Execution execution = run.execution();
            return sql.preparedQuery("""
                            INSERT INTO flow.awaited_events (execution_id, app_id, external_user_id, step_id, event_name)
                            VALUES ($1, $2, $3, $4, $5)""")
                    .execute(Sql.params(execution.id(), execution.appId(), execution.externalUserId(), step.id(),
                            waitFor.event()))
                    .flatMap(v -> sleep(sql, run, step, "wait_for_timeout", now.plus(waitFor.timeout())));
        }
        if (step instanceof BranchStep branch) {
            boolean holds = ConditionEvaluator.matches(branch.when(), run.context());
            String target = holds ? branch.then() : branch.otherwise();
            Map<String, Object> detail = Effects.detail("result", holds ? "then" : "else", "next", target);
            run.effects().log("branch.taken", run.execution(), step.id(), detail);
            return record(sql, run, step, "completed", detail)
                    .flatMap(v -> runFrom(sql, run, definition.continueAfter(step.id(), target)));
        }
        if (step instanceof EmailStep email) {
            return email(sql, run, email).flatMap(v -> runFrom(sql, run, definition.continueAfter(step.id(), email.next())));
        }
        WebhookStep webhook = (WebhookStep) step;
        return webhook(sql, run, webhook)
                .flatMap(v -> runFrom(sql, run, definition.continueAfter(step.id(), webhook.next())));
    }

    private Uni<Void> email(SqlClient sql, Run run, EmailStep step) {
        Execution execution = run.execution();
        Map<String, Object> data = data(run.context());
        String to;
        if (step.to() == null) {
            to = run.context().path("user").path("email").textValue();
        } else {
            to = render(step.to(), data);
        }
        if (to == null || to.isBlank()) {
            Map<String, Object> detail = Effects.detail("reason", "no_recipient");
            run.effects().log("email.skipped", execution, step.id(), detail);
            return record(sql, run, step, "skipped", detail);
        }
        String commandId = CommandTypes.commandId(execution.id(), step.id());
        Instant now = Timestamps.now();
        SendEmail command = new SendEmail(commandId, execution.appId(), execution.externalUserId(), execution.flowId(),
                execution.flowVersion(), execution.id(), step.id(), to.trim(), step.subject(), step.text(), step.html(),
                data, step.sendOnce(), step.maxCount(), execution.correlationId(), now);
        run.effects().add(OutboxRecord.forUser(Topics.EMAIL_COMMANDS, commandId, CommandTypes.SEND_EMAIL,
                execution.appId(), execution.externalUserId(), execution.correlationId(), now, command, null));
        Map<String, Object> detail = Effects.detail("commandId", commandId, "topic", Topics.EMAIL_COMMANDS);
        run.effects().log("step.completed", execution, step.id(), detail);
        return record(sql, run, step, "completed", detail);
    }

    private Uni<Void> webhook(SqlClient sql, Run run, WebhookStep step) {
        Execution execution = run.execution();
        String commandId = CommandTypes.commandId(execution.id(), step.id());
        Instant now = Timestamps.now();
        CallWebhook command = new CallWebhook(commandId, execution.appId(), execution.externalUserId(),
                execution.flowId(), execution.flowVersion(), execution.id(), step.id(),
                step.method() == null ? WebhookStep.DEFAULT_METHOD : step.method(), step.url(), step.headers(),
                step.body(), data(run.context()), execution.correlationId(), now);
        run.effects().add(OutboxRecord.forUser(Topics.WEBHOOK_COMMANDS, commandId, CommandTypes.CALL_WEBHOOK,
                execution.appId(), execution.externalUserId(), execution.correlationId(), now, command, null));
        Map<String, Object> detail = Effects.detail("commandId", commandId, "topic", Topics.WEBHOOK_COMMANDS);
        run.effects().log("step.completed", execution, step.id(), detail);
        return record(sql, run, step, "completed", detail);
    }

    /** Parks the execution at a waiting step: a timer row, the step row, status waiting. */
    private Uni<Void> sleep(SqlClient sql, Run run, Step step, String kind, Instant due) {
        Execution execution = run.execution();
        OffsetDateTime dueAt = OffsetDateTime.ofInstant(due, ZoneOffset.UTC);
        Map<String, Object> detail = Effects.detail("kind", kind, "dueAt", Timestamps.format(due));
        run.effects().log("step.waiting", execution, step.id(), detail);
        return sql.preparedQuery("INSERT INTO flow.timers (execution_id, step_id, kind, due_at) VALUES ($1, $2, $3, $4)")
                .execute(Sql.params(execution.id(), step.id(), kind, dueAt))
                .flatMap(v -> sql.preparedQuery("UPDATE flow.executions SET status = 'waiting', current_step = $2, "
                                + "updated_at = $3 WHERE id = $1 AND app_id = $4")
                        .execute(Sql.params(execution.id(), step.id(), now(), execution.appId())))
                .flatMap(v -> record(sql, run, step, "waiting", detail));
    }

    /**
     * Completes the waiting step row of a wait that just ended. The execution row keeps status {@code waiting}
     * here: the run that follows in the same transaction always ends by writing it (parked at the next wait, or
     * ended), so a {@code running} in between would be a write no other transaction can see.
     */
    private Uni<Void> endWait(SqlClient sql, Run run, String stepId, Map<String, Object> detail) {
        run.effects().log("step.completed", run.execution(), stepId, detail);
        return sql.preparedQuery("""
                        UPDATE flow.execution_steps SET status = 'completed', ended_at = $3,
                            detail = COALESCE(detail, '{}'::jsonb) || $4::text::jsonb
                        WHERE execution_id = $1 AND step_id = $2 AND status = 'waiting'""")
                .execute(Sql.params(run.execution().id(), stepId, now(), write(detail)))
                .replaceWithVoid();
    }

    private Uni<Void> finish(SqlClient sql, Run run, String status, String reason, String logType) {
        Execution execution = run.execution();
        OffsetDateTime now = now();
        run.effects().log(logType, execution, null, Effects.detail("reason", reason));
        return sql.preparedQuery("UPDATE flow.executions SET status = $2, ended_at = $3, end_reason = $4, updated_at = $3 "
                        + "WHERE id = $1 AND app_id = $5")
                .execute(Sql.params(execution.id(), status, now, reason, execution.appId()))
                .replaceWithVoid();
    }

    /** Appends a row to the execution's step history. */
    private Uni<Void> record(SqlClient sql, Run run, Step step, String status, Map<String, Object> detail) {
        OffsetDateTime now = now();
        return sql.preparedQuery("""
                        INSERT INTO flow.execution_steps (execution_id, seq, step_id, type, status, started_at, ended_at, detail)
                        SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7::text::jsonb
                        FROM flow.execution_steps WHERE execution_id = $1""")
                .execute(Sql.params(run.execution().id(), step.id(), step.type().wire(), status, now,
                        "waiting".equals(status) ? null : now, write(detail)))
                .replaceWithVoid();
    }

    /** The context of conditions and templates: the user's latest state, the trigger's event and purchase. */
    ObjectNode context(UserState user, ObjectNode triggerData) {
        ObjectNode context = mapper.createObjectNode();
        ObjectNode userNode = context.putObject("user");
        userNode.put("externalUserId", user.externalUserId());
        userNode.put("email", user.email());
        userNode.put("status", user.status());
        userNode.set("metadata", user.metadata());
        JsonNode event = triggerData.get("event");
        if (event != null) {
            context.set("event", event);
        } else {
            context.putObject("event").putObject("metadata");
        }
        JsonNode purchase = triggerData.get("purchase");
        if (purchase == null || purchase.isNull()) {
            purchase = user.lastPurchase();
        }
        if (purchase != null && !purchase.isNull()) {
            context.set("purchase", purchase);
        }
        return context;
    }

    private Map<String, Object> data(ObjectNode context) {
        return mapper.convertValue(context, MAP);
    }

    private static String render(String template, Map<String, Object> data) {
        try {
            TemplateInstance instance = QUTE.parse(template).instance();
            data.forEach(instance::data);
            return instance.render();
        } catch (TemplateException e) {
            return null;
        }
    }

    Execution execution(Row row) {
        try {
            return new Execution(row.getString("id"), row.getString("app_id"), row.getString("flow_id"),
                    row.getInteger("flow_version"), row.getString("external_user_id"), row.getString("correlation_id"),
                    (ObjectNode) mapper.readTree(row.getString("trigger_data")), row.getString("status"),
                    row.getString("current_step"));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
