package org.unclip.gateway.jobs;

/** Redis could not be reached or refused a command of the job store. */
public class JobStoreException extends RuntimeException {

    public JobStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
