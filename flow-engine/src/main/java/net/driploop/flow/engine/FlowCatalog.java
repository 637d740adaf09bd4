package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.flow.definition.FlowDefinition;
import net.driploop.flow.definition.FlowDefinitionParser;
import net.driploop.flow.definition.TriggerType;
import net.driploop.model.EventTypes;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads flow definitions by version (versions never change, so parsed ones are kept) and finds flows to trigger,
 * keeping each app's active flows for as long as the app's catalog version ({@code flow.catalog_versions}) stays
 * the same.
 */
@ApplicationScoped
class FlowCatalog {

    /** An active flow at its latest version, with the trigger that version listens to. */
    record ActiveFlow(String flowId, int version, String triggerType, String triggerEvent, FlowDefinition definition) {
    }

    /** An app's active flows as read under one version of its catalog. */
    private record AppFlows(long version, List<ActiveFlow> flows) {
    }

    private final FlowDefinitionParser parser = new FlowDefinitionParser();
    private final Map<String, FlowDefinition> parsed = new ConcurrentHashMap<>();
    private final Map<String, AppFlows> byApp = new ConcurrentHashMap<>();
    private final ObjectMapper mapper;

    FlowCatalog(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** No version of the app's catalog was read: the active flows are read from the database and not kept. */
    static final long UNKNOWN_VERSION = -1;

    /**
     * The active flows of the app whose trigger type listens to this event type (and activity name), read without
     * the in-memory catalog.
     */
    Uni<List<ActiveFlow>> activeFlows(SqlClient sql, String appId, String ceType, String activityName) {
        return activeFlows(sql, appId, ceType, activityName, UNKNOWN_VERSION);
    }

    /**
     * The active flows of the app whose trigger type listens to this event type (and activity name), in creation
     * order. {@code catalogVersion} is the app's {@code flow.catalog_versions} version read in the caller's
     * transaction (0 when the app never had a flow): while it is the version the app's flows were kept under, they
     * come from memory; otherwise they are read again and kept under it.
     */
    Uni<List<ActiveFlow>> activeFlows(SqlClient sql, String appId, String ceType, String activityName,
            long catalogVersion) {
        String triggerType = null;
        for (TriggerType type : TriggerType.values()) {
            if (type.eventType().equals(ceType)) {
                triggerType = type.wire();
            }
        }
        if (triggerType == null) {
            return Uni.createFrom().item(List.of());
        }
        String wire = triggerType;
        String name = EventTypes.ACTIVITY_RECORDED.equals(ceType) ? activityName : null;
        AppFlows kept = catalogVersion == UNKNOWN_VERSION ? null : byApp.get(appId);
        Uni<List<ActiveFlow>> all = kept != null && kept.version() == catalogVersion
                ? Uni.createFrom().item(kept.flows())
                : readActive(sql, appId).invoke(flows -> {
                    if (catalogVersion != UNKNOWN_VERSION) {
                        byApp.put(appId, new AppFlows(catalogVersion, flows));
                    }
                });
        return all.map(flows -> flows.stream()
                .filter(flow -> flow.triggerType().equals(wire) && (name == null || name.equals(flow.triggerEvent())))
                .toList());
    }

    /** Every active flow of the app at its latest version, in creation order. */
    private Uni<List<ActiveFlow>> readActive(SqlClient sql, String appId) {
        return sql.preparedQuery("""
                        SELECT f.id, f.version, f.trigger_type, f.trigger_event, v.definition::text AS definition
                        FROM flow.flows f JOIN flow.flow_versions v ON v.flow_id = f.id AND v.version = f.version
                        WHERE f.app_id = $1 AND f.status = 'active'
                        ORDER BY f.created_at, f.id""")
                .execute(Sql.params(appId))
                .map(rows -> {
                    List<ActiveFlow> flows = new ArrayList<>();
                    for (Row row : rows) {
                        String flowId = row.getString("id");
                        int version = row.getInteger("version");
                        try {
                            flows.add(new ActiveFlow(flowId, version, row.getString("trigger_type"),
                                    row.getString("trigger_event"), parse(flowId, version, row.getString("definition"))));
                        } catch (RuntimeException e) {
                            // a stored definition that no longer parses must not hold up every event of the app
                            Log.errorf(e, "flow %s version %d has an unreadable definition; it starts nothing", flowId,
                                    version);
                        }
                    }
                    return List.copyOf(flows);
                });
    }

    /** The definition of one version of a flow of the app. */
    Uni<FlowDefinition> definition(SqlClient sql, String appId, String flowId, int version) {
        FlowDefinition known = parsed.get(key(flowId, version));
        if (known != null) {
            return Uni.createFrom().item(known);
        }
        return sql.preparedQuery("""
                        SELECT v.definition::text AS definition
                        FROM flow.flow_versions v JOIN flow.flows f ON f.id = v.flow_id
                        WHERE f.app_id = $1 AND v.flow_id = $2 AND v.version = $3""")
                .execute(Sql.params(appId, flowId, version))
                .map(rows -> {
                    if (rows.size() == 0) {
                        throw new IllegalStateException("no version " + version + " of flow " + flowId);
                    }
                    return parse(flowId, version, rows.iterator().next().getString("definition"));
                });
    }

    private FlowDefinition parse(String flowId, int version, String json) {
        return parsed.computeIfAbsent(key(flowId, version), k -> {
            try {
                return parser.parse(mapper.readTree(json));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static String key(String flowId, int version) {
        return flowId + "@" + version;
    }
}
