-- The transactional outbox of a service (service-kit), in the service's own schema: rows are written with
-- the change they report, relayed to Kafka after commit, then deleted. The CloudEvents attributes are
-- columns so that neither PostgreSQL nor the relay parses them; lease_until keeps two relays from sending
-- the same row at once. The table stays small (rows live until Kafka acknowledges them), so the sweep walks
-- the primary key and needs no other index.
CREATE TABLE ${flyway:defaultSchema}.outbox (
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
ALTER TABLE ${flyway:defaultSchema}.outbox SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0,
    autovacuum_vacuum_insert_threshold = 5000);
