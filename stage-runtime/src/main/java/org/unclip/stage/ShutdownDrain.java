package org.unclip.stage;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.InternalChannelz;
import io.grpc.InternalInstrumented;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Lets the stage's running calls finish when the service is stopped, before the ONNX sessions
 * close under them. Quarkus' own graceful shutdown ({@code quarkus.shutdown.timeout}) covers its
 * HTTP server, not the separate gRPC server.
 *
 * <p>Registered on the stage's gRPC service, it counts the calls in flight. When the service is
 * stopped it
 * <ol>
 *   <li>answers every new call UNAVAILABLE, which the gateway retries on another replica;
 *   <li>shuts the gRPC server down gracefully: it stops listening and sends each connection a
 *       GOAWAY, so clients stop picking this replica and resolve the Service name again, while the
 *       running calls go on;
 *   <li>waits for the running calls, at most {@code unclip.shutdown.drain-timeout};
 *   <li>then abandons the calls still running: they stop at their next step ({@link #abandoned()})
 *       and whatever ends them reaches the client as UNAVAILABLE, so it retries them elsewhere.
 *       It waits at most {@link #ABANDON_WAIT} more for them.
 * </ol>
 *
 * <p>SIGTERM and SIGINT are handled here, before the JVM begins to exit: ONNX Runtime releases
 * its native environment in a JVM shutdown hook, which runs alongside Quarkus' own, so a model
 * still running once the JVM exits can crash the process. The drain therefore runs first, then
 * {@link Quarkus#asyncExit} stops the application (closing the sessions) before the JVM exits with
 * 128 + the signal's number. A second signal exits at once. Other ways of stopping (a test's
 * application, {@code Quarkus.asyncExit}) drain on {@link ShutdownEvent}, which Quarkus fires
 * before it destroys the beans that hold the sessions.
 *
 * <p>A stage registers it on its gRPC service with {@code @RegisterInterceptor(ShutdownDrain.class)}.
 */
@ApplicationScoped
public class ShutdownDrain implements ServerInterceptor {

    /** How long shutdown waits for abandoned calls to stop after the drain timeout. */
    public static final Duration ABANDON_WAIT = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);

    private final Duration timeout;
    private final Object lock = new Object();
    /** Local ports the stage's calls came in on: the gRPC server(s) to shut down. */
    private final Set<Integer> ports = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final AtomicBoolean drainStarted = new AtomicBoolean();
    private final CompletableFuture<Boolean> drained = new CompletableFuture<>();
    private int running;
    private boolean draining;
    private volatile boolean abandoned;

    public ShutdownDrain(@ConfigProperty(name = "unclip.shutdown.drain-timeout", defaultValue = "30s") Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("unclip.shutdown.drain-timeout must not be negative, got " + timeout);
        }
        this.timeout = timeout;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        boolean refused;
        synchronized (lock) {
            refused = draining;
            if (!refused) {
                running++;
            }
        }
        if (refused) {
            call.close(Status.UNAVAILABLE.withDescription("the stage is shutting down"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
        if (local instanceof InetSocketAddress address) {
            ports.add(address.getPort());
        }
        TrackedCall<Q, R> tracked = new TrackedCall<>(call);
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(tracked, headers);
        } catch (RuntimeException e) {
            tracked.finished();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    tracked.finished();
                }
            }

            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    tracked.finished();
                }
            }
        };
    }

    /** Whether the drain timeout has passed: calls still running are to stop and answer UNAVAILABLE. */
    public boolean abandoned() {
        return abandoned;
    }

    /** The status of a call stopped because the drain timeout passed. */
    public static Status abandonedStatus() {
        return Status.UNAVAILABLE.withDescription("the stage shut down before the call finished");
    }

    /** Whether shutdown has begun: new calls are refused. */
    public boolean draining() {
        synchronized (lock) {
            return draining;
        }
    }

    /** Calls admitted and not yet finished. */
    public int running() {
        synchronized (lock) {
            return running;
        }
    }

    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            for (String name : new String[] {"TERM", "INT"}) {
                SignalHandler[] previous = new SignalHandler[1];
                try {
                    previous[0] = Signal.handle(new Signal(name), signal -> onSignal(signal, previous[0]));
                } catch (IllegalArgumentException e) {
                    LOG.debugf("SIG%s left as it is: %s", name, e.getMessage());
                }
            }
        }
    }

    private void onSignal(Signal signal, SignalHandler previous) {
        if (!signalled.compareAndSet(false, true)) {
            LOG.warnf("SIG%s again: exiting now", signal.getName());
            if (previous == SignalHandler.SIG_DFL || previous == SignalHandler.SIG_IGN) {
                System.exit(128 + signal.getNumber());
            } else {
                previous.handle(signal);
            }
            return;
        }
        LOG.infof("SIG%s: stopping", signal.getName());
        drain();
        Quarkus.asyncExit(128 + signal.getNumber());
    }

    void onShutdown(@Observes ShutdownEvent event) {
        drain();
    }

    /**
     * Refuses new calls, shuts the gRPC server down gracefully and waits for the running calls.
     * Runs once; later calls wait for that run.
     *
     * @return whether every running call finished within the drain timeout
     */
    public boolean drain() {
        if (!drainStarted.compareAndSet(false, true)) {
            return drained.join();
        }
        boolean outcome = false;
        try {
            outcome = drainOnce();
        } finally {
            drained.complete(outcome);
        }
        return outcome;
    }

    private boolean drainOnce() {
        int left;
        synchronized (lock) {
            draining = true;
            left = running;
        }
        if (left == 0) {
            LOG.info("shutting down: no calls running");
            return true;
        }
        LOG.infof("shutting down: refusing new calls, waiting up to %s for %d running call(s)", text(timeout), left);
        goAway();
        if (awaitIdle(timeout)) {
            LOG.info("shutting down: every running call finished");
            return true;
        }
        abandoned = true;
        LOG.warnf("shutting down: %d call(s) still running after %s end with UNAVAILABLE", running(), text(timeout));
        if (!awaitIdle(ABANDON_WAIT)) {
            LOG.warnf("shutting down: %d call(s) did not stop within %s", running(), text(ABANDON_WAIT));
        }
        return false;
    }

    /** Waits until no call runs; false when {@code limit} passes first. */
    private boolean awaitIdle(Duration limit) {
        long end = System.nanoTime() + limit.toNanos();
        synchronized (lock) {
            while (running > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Gracefully shuts down the gRPC servers the calls came in on. Quarkus keeps its server to
     * itself; grpc-java lists every server it runs in its channelz registry.
     */
    private void goAway() {
        for (InternalInstrumented<InternalChannelz.ServerStats> instrumented :
                InternalChannelz.instance().getServers(0, 100).servers) {
            if (instrumented instanceof Server server && !server.isShutdown() && listensOnOurPort(server)) {
                server.shutdown();
                LOG.infof("shutting down: gRPC server on %s stopped listening and asked its clients to go away",
                        server.getListenSockets());
            }
        }
    }

    private boolean listensOnOurPort(Server server) {
        for (SocketAddress address : server.getListenSockets()) {
            if (address instanceof InetSocketAddress inet && ports.contains(inet.getPort())) {
                return true;
            }
        }
        return false;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private void leave() {
        synchronized (lock) {
            running--;
            lock.notifyAll();
        }
    }

    /** A call that counts as running until it is closed, cancelled or complete. */
    private final class TrackedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private final AtomicBoolean done = new AtomicBoolean();

        TrackedCall(ServerCall<Q, R> call) {
            super(call);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            Status sent = status;
            if (abandoned && !status.isOk() && status.getCode() != Status.Code.UNAVAILABLE) {
                // whatever ended it, the shutdown did: let the client retry it elsewhere
                sent = abandonedStatus().withCause(status.getCause())
                        .augmentDescription(status.getCode() + ": " + status.getDescription());
            }
            try {
                super.close(sent, trailers);
            } finally {
                finished();
            }
        }

        void finished() {
            if (done.compareAndSet(false, true)) {
                leave();
            }
        }
    }
}
