-- ingest-api owns the schema "ingest": apps, keys, tracked users, activity, purchases,
-- rate-limit windows, idempotency keys and the transactional outbox.

CREATE TABLE ingest.apps (
    id            text PRIMARY KEY,
    name          text        NOT NULL,
    delete_policy text        NOT NULL CHECK (delete_policy IN ('deactivate', 'delete')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE ingest.api_keys (
    id         text PRIMARY KEY,
    app_id     text        NOT NULL REFERENCES ingest.apps (id),
    name       text        NOT NULL,
    prefix     text        NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored
    key_hash   bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_app_idx ON ingest.api_keys (app_id, created_at);

CREATE TABLE ingest.users (
    id                text PRIMARY KEY,
    app_id            text        NOT NULL REFERENCES ingest.apps (id),
    external_user_id  text        NOT NULL,
    email             text,
    metadata          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status            text        NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    first_activity_at timestamptz,
    last_active_at    timestamptz,
    CONSTRAINT users_app_external_uq UNIQUE (app_id, external_user_id)
);

-- No foreign key to users on this hot table: deleting a user deletes its activity explicitly.
CREATE TABLE ingest.activities (
    id             text PRIMARY KEY,
    app_id         text        NOT NULL,
    user_id        text        NOT NULL,
    name           text        NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    recorded_at    timestamptz NOT NULL,
    correlation_id text        NOT NULL
);
CREATE INDEX activities_user_idx ON ingest.activities (user_id, recorded_at);

CREATE TABLE ingest.purchases (
    id                text PRIMARY KEY,
    app_id            text        NOT NULL,
    user_id           text        NOT NULL REFERENCES ingest.users (id) ON DELETE CASCADE,
    purchase_date     timestamptz NOT NULL,
    purchase_end_date timestamptz,
    product_id        text,
    amount            numeric,
    currency          text,
    recorded_at       timestamptz NOT NULL,
    correlation_id    text        NOT NULL
);
CREATE INDEX purchases_user_idx ON ingest.purchases (user_id, recorded_at);

-- One fixed window per key and minute, shared by every replica.
-- UNLOGGED: a counter lost in a crash costs nothing, and commits need no WAL flush on this hot row.
CREATE UNLOGGED TABLE ingest.rate_limit_windows (
    key_id       text    NOT NULL,
    window_start bigint  NOT NULL,
    count        integer NOT NULL,
    PRIMARY KEY (key_id, window_start)
);

CREATE TABLE ingest.idempotency_keys (
    app_id          text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    bytea       NOT NULL,
    status          integer     NOT NULL,
    response        text        NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (app_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON ingest.idempotency_keys (created_at);

-- The outbox table comes from service-kit (db/kit).

-- The wire timestamp format: ISO-8601 UTC with milliseconds.
CREATE FUNCTION ingest.iso_ms(ts timestamptz) RETURNS text
    LANGUAGE sql STABLE AS
$$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The user snapshot every user event carries (net.driploop.model.event.UserSnapshot).
CREATE FUNCTION ingest.user_snapshot(u ingest.users) RETURNS jsonb
    LANGUAGE sql STABLE AS
$$
SELECT jsonb_build_object(
           'id', u.id,
           'externalUserId', u.external_user_id,
           'email', u.email,
           'metadata', u.metadata,
           'status', u.status,
           'createdAt', ingest.iso_ms(u.created_at),
           'updatedAt', ingest.iso_ms(u.updated_at),
           'firstActivityAt', ingest.iso_ms(u.first_activity_at),
           'lastActiveAt', ingest.iso_ms(u.last_active_at))
$$;
