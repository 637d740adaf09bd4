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

-- Transactional outbox (service-kit): results, log entries and dead letters, relayed to Kafka after commit.
CREATE TABLE webhook.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic          text        NOT NULL,
    record_key     text        NOT NULL,
    ce_id          text        NOT NULL,
    ce_type        text        NOT NULL,
    ce_time        text        NOT NULL,
    ce_subject     text,
    correlation_id text        NOT NULL,
    payload        text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    lease_until    timestamptz NOT NULL
);
-- A queue table: rows are inserted and deleted all the time, so vacuum it early and without throttling.
ALTER TABLE webhook.outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0, autovacuum_vacuum_insert_threshold = 5000);
