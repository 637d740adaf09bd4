-- The version of each app's set of flows. Every change to flow.flows (a new flow, a new version, a status change,
-- a deletion, a truncation) moves it forward, in the transaction that makes the change. The engine reads it with
-- the first statement of each event's transaction and keeps each app's active flows in memory for as long as the
-- version stays the same: a replica re-reads an app's flows only after they changed, instead of once per event.
CREATE TABLE flow.catalog_versions (
    app_id  text PRIMARY KEY,
    version bigint NOT NULL
);

CREATE FUNCTION flow.bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE flow.catalog_versions SET version = version + 1;
    ELSE
        INSERT INTO flow.catalog_versions AS c (app_id, version)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.app_id ELSE NEW.app_id END, 1)
        ON CONFLICT (app_id) DO UPDATE SET version = c.version + 1;
        IF TG_OP = 'UPDATE' AND OLD.app_id IS DISTINCT FROM NEW.app_id THEN
            INSERT INTO flow.catalog_versions AS c (app_id, version) VALUES (OLD.app_id, 1)
            ON CONFLICT (app_id) DO UPDATE SET version = c.version + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER flows_catalog_version AFTER INSERT OR UPDATE OR DELETE ON flow.flows
    FOR EACH ROW EXECUTE FUNCTION flow.bump_catalog_version();
CREATE TRIGGER flows_catalog_version_truncate AFTER TRUNCATE ON flow.flows
    FOR EACH STATEMENT EXECUTE FUNCTION flow.bump_catalog_version();

INSERT INTO flow.catalog_versions (app_id, version) SELECT DISTINCT app_id, 1 FROM flow.flows;
