package org.unclip.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.unclip.gateway.jobs.JobStore;

/**
 * Jobs belong to the API key that made them. With keys configured ({@code unclip.api.keys}) a job
 * records its owner (a hash of the key, {@link ApiKeys#owner}) and every job-scoped endpoint
 * answers another key as if the job did not exist: the same 404 as an unknown id. Without keys
 * there are no owners and no checks; a job made while there were none stays open to every key.
 */
@ApplicationScoped
class JobOwners {

    private final ApiKeys keys;
    private final JobStore store;

    JobOwners(ApiKeys keys, JobStore store) {
        this.keys = keys;
        this.store = store;
    }

    /** The owner to record for a job this request makes, or null. */
    String ownerFor(String authorization) {
        return keys.owner(authorization).orElse(null);
    }

    /**
     * True when the caller may see the job (an unknown job too: the caller's 404 is then the
     * endpoint's own).
     *
     * @param authorization the request's {@code Authorization} header, or null
     */
    boolean mayAccess(String jobId, String authorization) {
        if (!keys.required()) {
            return true;
        }
        Optional<String> owner = store.owner(jobId);
        if (owner.isEmpty()) {
            return true;
        }
        return keys.owner(authorization)
                .map(caller -> MessageDigest.isEqual(
                        caller.getBytes(StandardCharsets.US_ASCII), owner.get().getBytes(StandardCharsets.US_ASCII)))
                .orElse(false);
    }

    /**
     * For the stored images, which need no key (browsers load them without headers; their URLs
     * are unguessable and expire): a request without a key may fetch them, one with another
     * key may not.
     */
    boolean mayFetchImages(String jobId, String authorization) {
        return authorization == null || mayAccess(jobId, authorization);
    }
}
