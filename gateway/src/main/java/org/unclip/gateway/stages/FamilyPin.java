package org.unclip.gateway.stages;

import io.grpc.Context;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model family one job runs on. The first stage call that names its family fixes it; every
 * later call of the job expects that family, and a replica serving another refuses the call
 * ({@code FAILED_PRECONDITION}) before doing any work, so the job never mixes the outputs of two
 * families (during a rollout to another family, say). A job resumed from its stage checkpoints
 * starts pinned to the family that made them.
 *
 * <p>The pin travels with the job in the gRPC {@link Context} ({@link #KEY}) that its stage calls
 * run in; {@link StageClients} reads it there.
 */
public final class FamilyPin {

    /** The pin of the job whose calls run in the current context. */
    public static final Context.Key<FamilyPin> KEY = Context.key("unclip-family-pin");

    private final AtomicReference<StageFamily> family = new AtomicReference<>();

    /** The pin of the current context, if any. */
    static Optional<FamilyPin> current() {
        return Optional.ofNullable(KEY.get());
    }

    /** The family the job is pinned to, if a stage has named it yet. */
    public Optional<StageFamily> family() {
        return Optional.ofNullable(family.get());
    }

    /** Pins the job to the family of its kept stage outputs (a resumed run), unless already pinned. */
    public void resume(StageFamily kept) {
        family.compareAndSet(null, kept);
    }

    /**
     * Pins the job to {@code answered} if it is not pinned yet.
     *
     * @return the family the job is pinned to: {@code answered}, or the one an earlier call fixed
     */
    StageFamily pin(StageFamily answered) {
        return family.compareAndSet(null, answered) ? answered : family.get();
    }
}
