package org.unclip.gateway.api;

import io.vertx.core.http.HttpServerResponse;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Notices clients that hang up while their request waits for its job: every quarter second it looks
 * at each waiting response, and once a response's connection has closed it runs that request's
 * action (cancelling the job nobody will receive) and stops watching it.
 */
@ApplicationScoped
class DisconnectWatch {

    private static final Logger LOG = Logger.getLogger(DisconnectWatch.class);
    static final long PERIOD_MILLIS = 250;

    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "unclip-disconnect-watch");
                t.setDaemon(true);
                return t;
            });

    /** Runs {@code onDisconnect} once if {@code response}'s connection closes before {@code outcome} completes. */
    void watch(HttpServerResponse response, CompletableFuture<?> outcome, Runnable onDisconnect) {
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        task.set(scheduler.scheduleWithFixedDelay(() -> {
            if (outcome.isDone()) {
                task.get().cancel(false);
            } else if (response.closed()) {
                task.get().cancel(false);
                try {
                    onDisconnect.run();
                } catch (RuntimeException e) {
                    LOG.debugf("acting on a client that hung up failed: %s", e.getMessage());
                }
            }
        }, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS));
        outcome.whenComplete((done, error) -> {
            ScheduledFuture<?> scheduled = task.get();
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        });
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }
}
