-- flow-engine owns the schema "flow": flows and their versions, the user projection, executions and
-- their steps, durable timers, awaited events, processed event ids, the automation log and the outbox.

CREATE TABLE flow.flows (
    id            text PRIMARY KEY,
    app_id        text        NOT NULL,
    name          text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('draft', 'active', 'inactive')),
    -- the latest version, and its trigger, for matching events to active flows
    version       integer     NOT NULL,
    trigger_type  text        NOT NULL,
    trigger_event text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX flows_app_idx ON flow.flows (app_id, created_at);
CREATE INDEX flows_active_trigger_idx ON flow.flows (app_id, trigger_type) WHERE status = 'active';

CREATE TABLE flow.flow_versions (
    flow_id    text        NOT NULL REFERENCES flow.flows (id),
    version    integer     NOT NULL,
    definition jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (flow_id, version)
);

-- The latest state of each user, from driploop.events.v1, for conditions and templates.
CREATE TABLE flow.users (
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    user_id          text,
    email            text,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL,
    last_purchase    jsonb,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (app_id, external_user_id)
);

CREATE TABLE flow.executions (
    id               text PRIMARY KEY,
    app_id           text        NOT NULL,
    flow_id          text        NOT NULL REFERENCES flow.flows (id),
    flow_version     integer     NOT NULL,
    external_user_id text        NOT NULL,
    -- reentry "once" and "if_not_active" allow one live execution per flow and user (index below)
    exclusive        boolean     NOT NULL,
    status           text        NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'exited', 'cancelled', 'failed')),
    current_step     text,
    correlation_id   text        NOT NULL,
    -- the triggering event's data: {event: {name, metadata}, purchase: {…}}
    trigger_data     jsonb       NOT NULL,
    started_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text
);
CREATE UNIQUE INDEX executions_one_live_idx ON flow.executions (flow_id, app_id, external_user_id)
    WHERE exclusive AND status IN ('running', 'waiting');
CREATE INDEX executions_user_idx ON flow.executions (app_id, external_user_id, started_at);
CREATE INDEX executions_live_user_idx ON flow.executions (app_id, external_user_id)
    WHERE status IN ('running', 'waiting');

-- Reentry "once": a user enters a flow at most once, ever.
CREATE TABLE flow.flow_entries (
    flow_id          text        NOT NULL,
    app_id           text        NOT NULL,
    external_user_id text        NOT NULL,
    execution_id     text        NOT NULL,
    entered_at       timestamptz NOT NULL,
    PRIMARY KEY (flow_id, app_id, external_user_id)
);

CREATE TABLE flow.execution_steps (
    execution_id text        NOT NULL REFERENCES flow.executions (id),
    seq          integer     NOT NULL,
    step_id      text        NOT NULL,
    type         text        NOT NULL,
    status       text        NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    detail       jsonb,
    PRIMARY KEY (execution_id, seq)
);

-- Durable timers: rows, never in-memory timers. Sweeps claim due rows with FOR UPDATE SKIP LOCKED;
-- the index makes a sweep cost what is due, not what is pending.
CREATE TABLE flow.timers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_id text        NOT NULL,
    step_id      text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('wait', 'wait_until', 'wait_for_timeout')),
    due_at       timestamptz NOT NULL
);
CREATE INDEX timers_due_idx ON flow.timers (due_at, id);
CREATE INDEX timers_execution_idx ON flow.timers (execution_id);

-- wait_for: an execution waiting for an activity event of its user.
CREATE TABLE flow.awaited_events (
    execution_id     text PRIMARY KEY,
    app_id           text NOT NULL,
    external_user_id text NOT NULL,
    step_id          text NOT NULL,
    event_name       text NOT NULL
);
CREATE INDEX awaited_events_user_idx ON flow.awaited_events (app_id, external_user_id);

-- Idempotent consumers: each record's ce_id is recorded in the transaction of its effects.
CREATE TABLE flow.processed_records (
    consumer     text        NOT NULL,
    ce_id        text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, ce_id)
);

-- Every service's AutomationLogEntry records, for GET /admin/v1/traces/{correlationId}.
CREATE TABLE flow.automation_log (
    id               text PRIMARY KEY,
    correlation_id   text        NOT NULL,
    at               timestamptz NOT NULL,
    service          text        NOT NULL,
    type             text        NOT NULL,
    app_id           text,
    external_user_id text,
    flow_id          text,
    execution_id     text,
    step_id          text,
    detail           jsonb
);
CREATE INDEX automation_log_correlation_idx ON flow.automation_log (correlation_id, at, id);

-- The outbox table comes from service-kit (db/kit).
