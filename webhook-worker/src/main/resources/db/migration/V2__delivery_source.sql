-- Where each command was read from (driploop.webhook-commands.v1 partition and offset): a dead letter names it.
ALTER TABLE webhook.deliveries ADD COLUMN source_partition integer, ADD COLUMN source_offset bigint,
    -- its target, scheme://host:port of the URL in lower case (TargetLimits): a target may have at most
    -- driploop.webhook.max-per-target attempts running per replica; its other due deliveries wait here
    ADD COLUMN target text NOT NULL DEFAULT '';
-- A target's waiting deliveries, oldest first: claimed as its attempts end.
CREATE INDEX deliveries_target_due_idx ON webhook.deliveries (target, due_at) WHERE status = 'pending';
