-- webhook-worker owns the schema "webhook": per-app signing secrets, deliveries and their retry schedule,
-- deleted users and the outbox.

-- Signing secrets, AES-GCM encrypted (nonce || ciphertext+tag, the app id as associated data). After a
-- rotation the previous secret signs too, until previous_until.
CREATE TABLE webhook.app_secrets (
    app_id          text PRIMARY KEY,
    secret          bytea       NOT NULL,
    previous_secret bytea,
    previous_until  timestamptz,
    created_at      timestamptz NOT NULL,
    rotated_at      timestamptz
);

-- The outbox table comes from service-kit (db/kit).

-- One row per CallWebhook command (id {executionId}:{stepId}, also the webhook-id): the dedupe ledger and the
-- durable retry schedule. A pending row is due at due_at; an attempt in flight pushes due_at past its own
-- timeouts (a lease), so a replica that dies mid-attempt leaves the row to the sweep. Sweeps claim due rows
-- with FOR UPDATE SKIP LOCKED; the partial index makes a sweep cost what is due, not what was ever delivered.
CREATE TABLE webhook.deliveries (
    id               text PRIMARY KEY,
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    correlation_id   text        NOT NULL,
    -- the CallWebhook as received, re-read for every attempt
    command          text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts         integer     NOT NULL DEFAULT 0,
    due_at           timestamptz,
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX deliveries_due_idx ON webhook.deliveries (due_at) WHERE status = 'pending';
ALTER TABLE webhook.deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

-- Users deleted or deactivated (user.deleted on driploop.events.v1): they get no more webhooks.
CREATE TABLE webhook.deleted_users (
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    deleted_at       timestamptz NOT NULL,
    PRIMARY KEY (app_id, external_user_id)
);
