package net.driploop.kit.http;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/** Access to the RoutingContext of the request being served. */
@ApplicationScoped
public class Requests {

    private final CurrentVertxRequest current;

    public Requests(CurrentVertxRequest current) {
        this.current = current;
    }

    public RoutingContext current() {
        return current.getCurrent();
    }
}
