package org.unclip.gateway.jobs;

import java.util.List;
import java.util.Objects;

/**
 * A finished job as its waiting request sees it.
 *
 * @param status the final status; {@code status.error()} explains a failure
 * @param images the generated images of a succeeded job, empty for a failed one
 */
public record JobOutcome(JobStatus status, List<StoredImage> images) {

    public JobOutcome {
        Objects.requireNonNull(status, "status");
        images = List.copyOf(images);
    }
}
