package org.unclip.gateway.stages;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fixed list of stage replicas, for stages run as several processes on one machine (where DNS
 * cannot tell their ports apart): {@code quarkus.grpc.clients.<stage>.name-resolver=list} with
 * {@code host=127.0.0.1:9103,127.0.0.1:9203} (an entry without a port takes the client's
 * {@code port}). Each entry is a subchannel of the client's {@code round_robin} balancer, which
 * skips replicas it cannot reach. On Kubernetes the default {@code dns} resolver over a headless
 * Service does the same from the pods' addresses.
 */
final class AddressListNameResolver extends NameResolver {

    static final String SCHEME = "list";

    private static final AtomicBoolean REGISTERED = new AtomicBoolean();

    private final String authority;
    private final List<EquivalentAddressGroup> addresses;

    private AddressListNameResolver(String authority, List<EquivalentAddressGroup> addresses) {
        this.authority = authority;
        this.addresses = addresses;
    }

    /** Makes the {@code list} scheme known to grpc-java (once). */
    static void register() {
        if (REGISTERED.compareAndSet(false, true)) {
            NameResolverRegistry.getDefaultRegistry().register(new Provider());
        }
    }

    /**
     * The replicas of a target's authority: comma-separated {@code host[:port]} entries; the last
     * may carry the client's own port after its own ({@code host:port:defaultPort}), as Quarkus
     * appends it.
     */
    static List<InetSocketAddress> parse(String authority) {
        String[] entries = authority.split(",");
        String last = entries[entries.length - 1];
        int defaultPort = -1;
        String[] lastParts = last.split(":");
        if (lastParts.length >= 2) {
            defaultPort = Integer.parseInt(lastParts[lastParts.length - 1]);
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String entry : entries) {
            String[] parts = entry.trim().split(":");
            if (parts[0].isBlank()) {
                throw new IllegalArgumentException("empty host in stage address list '" + authority + "'");
            }
            int port = parts.length >= 2 ? Integer.parseInt(parts[1]) : defaultPort;
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("no port for '" + entry + "' in stage address list '" + authority + "'");
            }
            out.add(InetSocketAddress.createUnresolved(parts[0], port));
        }
        return out;
    }

    @Override
    public String getServiceAuthority() {
        return authority;
    }

    @Override
    public void start(Listener2 listener) {
        listener.onResult(ResolutionResult.newBuilder().setAddresses(addresses).setAttributes(Attributes.EMPTY).build());
    }

    @Override
    public void refresh() {}

    @Override
    public void shutdown() {}

    private static final class Provider extends NameResolverProvider {
        @Override
        public NameResolver newNameResolver(URI target, Args args) {
            if (!SCHEME.equals(target.getScheme())) {
                return null;
            }
            String authority = target.getAuthority();
            if (authority == null || authority.isBlank()) {
                throw new IllegalArgumentException("a stage address list needs host:port entries, got " + target);
            }
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            for (InetSocketAddress a : parse(authority)) {
                SocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
                groups.add(new EquivalentAddressGroup(resolved));
            }
            return new AddressListNameResolver(authority, groups);
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }

        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }

        @Override
        public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
            return List.of(InetSocketAddress.class);
        }
    }
}
