package net.driploop.kit.config;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

/** The admin API's credentials ({@code DRIPLOOP_ADMIN_TOKEN}). */
@ConfigMapping(prefix = "driploop.admin")
public interface AdminConfig {

    /** Bearer token of the admin API; without one the admin API refuses every call. */
    Optional<String> token();
}
