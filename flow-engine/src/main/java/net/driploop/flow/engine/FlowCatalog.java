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

/** Reads flow definitions by version (versions never change, so parsed ones are kept) and finds flows to trigger. */
@ApplicationScoped
class FlowCatalog {

    /** An active flow at its latest version. */
    record ActiveFlow(String flowId, int version, FlowDefinition definition) {
    }

    private final FlowDefinitionParser parser = new FlowDefinitionParser();
    private final Map<String, FlowDefinition> parsed = new ConcurrentHashMap<>();
    private final ObjectMapper mapper;

    FlowCatalog(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The active flows of the app whose trigger type listens to this event type (and activity name). */
    Uni<List<ActiveFlow>> activeFlows(SqlClient sql, String appId, String ceType, String activityName) {
        String triggerType = null;
        for (TriggerType type : TriggerType.values()) {
            if (type.eventType().equals(ceType)) {
                triggerType = type.wire();
            }
        }
        if (triggerType == null) {
            return Uni.createFrom().item(List.of());
        }
        String name = EventTypes.ACTIVITY_RECORDED.equals(ceType) ? activityName : null;
        return sql.preparedQuery("""
                        SELECT f.id, f.version, v.definition::text AS definition
                        FROM flow.flows f JOIN flow.flow_versions v ON v.flow_id = f.id AND v.version = f.version
                        WHERE f.app_id = $1 AND f.status = 'active' AND f.trigger_type = $2
                          AND ($3::text IS NULL OR f.trigger_event = $3)
                        ORDER BY f.created_at, f.id""")
                .execute(Sql.params(appId, triggerType, name))
                .map(rows -> {
                    List<ActiveFlow> flows = new ArrayList<>();
                    for (Row row : rows) {
                        String flowId = row.getString("id");
                        int version = row.getInteger("version");
                        try {
                            flows.add(new ActiveFlow(flowId, version, parse(flowId, version, row.getString("definition"))));
                        } catch (RuntimeException e) {
                            // a stored definition that no longer parses must not hold up every event of the app
                            Log.errorf(e, "flow %s version %d has an unreadable definition; it starts nothing", flowId,
                                    version);
                        }
                    }
                    return flows;
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
