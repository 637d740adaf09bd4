-- email-worker owns the schema "email": the delivery ledger, per-user send counters, deleted users, processed
-- event ids and the durable retry schedule (the outbox table comes from service-kit's db/kit migration).

-- One row per command id ({executionId}:{stepId}), ever: the primary key is what makes a send at most once.
-- status: sending (as claimed, committed before SMTP is called) → sent | retrying (→ sending …) | failed;
-- or skipped / failed straight away.
-- A row found in "sending" after its lease is never re-sent: the sweep records it as uncertain.
CREATE TABLE email.deliveries (
    command_id       text PRIMARY KEY,
    ce_id            text,
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    flow_id          text        NOT NULL,
    execution_id     text,
    step_id          text        NOT NULL,
    correlation_id   text        NOT NULL,
    recipient        text,
    status           text        NOT NULL
        CHECK (status IN ('sending', 'sent', 'retrying', 'failed', 'skipped', 'uncertain')),
    reason           text,
    attempts         integer     NOT NULL DEFAULT 0,
    -- whether a send was counted in send_counts for it (given back on failure)
    counted          boolean     NOT NULL DEFAULT false,
    message_id       text,
    last_error       text,
    sending_until    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_sending_idx ON email.deliveries (sending_until) WHERE status = 'sending';
CREATE INDEX deliveries_user_idx ON email.deliveries (app_id, external_user_id, created_at);

-- sendOnce / maxCount: sends counted per user and step, across executions; a conditional upsert keeps them
-- race-free (the row lock serialises two commands of the same user and step).
CREATE TABLE email.send_counts (
    app_id           text    NOT NULL,
    external_user_id text    NOT NULL,
    flow_id          text    NOT NULL,
    step_id          text    NOT NULL,
    sent             integer NOT NULL,
    PRIMARY KEY (app_id, external_user_id, flow_id, step_id)
);

-- Users deleted through the API (user.deleted): they get nothing more, not even commands already queued. A
-- later user.registered (the same external id registered again) sets reactivated_at: commands requested
-- after the deletion are sent again, those requested before it stay refused.
CREATE TABLE email.deleted_users (
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    deleted_at       timestamptz NOT NULL,
    reactivated_at   timestamptz,
    PRIMARY KEY (app_id, external_user_id)
);

-- Idempotent consumers: each record's ce_id is recorded in the transaction of its effects.
CREATE TABLE email.processed_records (
    consumer     text        NOT NULL,
    ce_id        text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, ce_id)
);

-- Durable retry schedule after transient SMTP failures. The sweep claims due rows with FOR UPDATE SKIP LOCKED
-- and moves due_at forward as a lease; the index makes a sweep cost what is due, not what is pending.
CREATE TABLE email.retries (
    command_id text PRIMARY KEY REFERENCES email.deliveries (command_id),
    ce_id      text,
    command    text        NOT NULL,
    -- attempts made so far
    attempt    integer     NOT NULL,
    due_at     timestamptz NOT NULL,
    last_error text
);
CREATE INDEX retries_due_idx ON email.retries (due_at);

-- The outbox table (email.outbox) comes from service-kit's migration (db/kit/V0_1__outbox.sql).
