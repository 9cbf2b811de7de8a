package org.unclip.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.unclip.gateway.jobs.JobWorker;

/**
 * Ready while this gateway's job reader takes entries from the stream (or it runs no worker, {@code
 * unclip.jobs.worker.enabled=false}): a gateway whose reader has stopped would accept jobs that only
 * other replicas can run.
 */
@Readiness
@ApplicationScoped
public class JobWorkerHealthCheck implements HealthCheck {

    private final JobWorker worker;

    @Inject
    public JobWorkerHealthCheck(JobWorker worker) {
        this.worker = worker;
    }

    @Override
    public HealthCheckResponse call() {
        if (!worker.enabled()) {
            return HealthCheckResponse.named("job-worker").up().withData("enabled", false).build();
        }
        return HealthCheckResponse.named("job-worker")
                .status(worker.consuming())
                .withData("jobs_in_flight", worker.jobsInFlight())
                .build();
    }
}
