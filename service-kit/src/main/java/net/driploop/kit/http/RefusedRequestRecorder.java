package net.driploop.kit.http;

import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import net.driploop.model.ErrorCode;

/** A service's hook to record a request it refused (e.g. in the automation log) before the answer goes out. */
public interface RefusedRequestRecorder {

    Uni<Void> record(RoutingContext request, ErrorCode code);
}
