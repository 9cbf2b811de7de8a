package org.unclip.gateway.api;

/** Descriptions shared by the OpenAPI annotations of the resources. */
final class OpenApiText {

    private OpenApiText() {}

    static final String ERROR =
            "An OpenAI-style error: `{\"error\": {\"message\", \"type\", \"param\", \"code\"}}`.";
    static final String BAD_REQUEST =
            "A client mistake (`invalid_request_error`; `param` names the field, `code` the reason), also when a stage rejects the request.";
    static final String UNAUTHORIZED = "API keys are configured (`unclip.api.keys`) and the request has no valid `Authorization: Bearer <key>`.";
    static final String CONFLICT = "The job was cancelled (`job_cancelled`), or the Idempotency-Key was used with another body (`idempotency_key_reused`).";
    static final String QUEUE_FULL = "The job queue is full (`unclip.jobs.max-queued` jobs waiting): type `requests`, code `rate_limit_exceeded`, as "
            + "OpenAI's rate limits; retry after `Retry-After` seconds.";
    static final String SERVER = "A stage failed (502), is unavailable (503) or did not answer in time (504), or Redis is down (503); "
            + "504 `timeout` when the images were not ready within `unclip.jobs.wait-timeout` (the job may still finish).";
    static final String REQUEST_ID = "Your id for the request (echoed in the response's `x-request-id` and passed to the stages); one is made when absent.";
    static final String IDEMPOTENCY_KEY =
            "1–255 characters: a repeated request with the same key and body does no new work and answers the same job "
                    + "(`Idempotent-Replayed: true`) while that job exists; the same key with another body is 409. Once the job has "
                    + "expired the key is free again (a new job); a repeat whose images expired first is 404 `result_expired`.";
    static final String NO_SUCH_JOB =
            "No such job: it does not exist, it expired, or another API key made it (with `unclip.api.keys` set, a job belongs to its key).";
    static final String NO_SUCH_IMAGE =
            "No such image: the job does not exist, its images expired, or the request carries another API key than the one that made it.";
    static final String JOB_ID = "The job id (32 lower-case hex digits), as in the `x-unclip-job-id` header and `GET /v1/jobs/{id}`.";
}
