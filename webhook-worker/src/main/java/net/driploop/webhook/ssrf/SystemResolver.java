package net.driploop.webhook.ssrf;

import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Host names resolved as the JVM does (system resolver, the JVM's DNS cache). */
@ApplicationScoped
public class SystemResolver implements TargetGuard.Resolver {

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        return InetAddress.getAllByName(host);
    }
}
