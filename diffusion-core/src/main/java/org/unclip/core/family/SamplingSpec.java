package org.unclip.core.family;

import org.unclip.core.sampler.DdimSampler;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.Sampler;
import org.unclip.core.sampler.SamplerKind;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;

/**
 * How one stage samples: its training noise schedule, what its network predicts, how the DDPM step
 * picks its variance, and the x0 clamp.
 *
 * @param betaStart first β of a {@link BetaSchedule#LINEAR} schedule (ignored otherwise)
 * @param betaEnd last β of a {@link BetaSchedule#LINEAR} schedule (ignored otherwise)
 * @param sampler which sampler to run (family.json {@code "sampler"}, optional, default ddpm)
 * @param eta DDIM's η (family.json {@code "eta"}, optional, default 0)
 */
public record SamplingSpec(
        BetaSchedule betaSchedule,
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        PredictionType predictionType,
        VarianceType varianceType,
        double clipSampleRange,
        SamplerKind sampler,
        double eta) {

    public static final double DEFAULT_BETA_START = 0.0001;
    public static final double DEFAULT_BETA_END = 0.02;

    public SamplingSpec {
        if (numTrainTimesteps < 2) {
            throw new IllegalArgumentException("num_train_timesteps must be >= 2, got " + numTrainTimesteps);
        }
        if (!(clipSampleRange > 0)) {
            throw new IllegalArgumentException("clip_sample_range must be > 0, got " + clipSampleRange);
        }
        if (!(eta >= 0)) {
            throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        }
    }

    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.create(betaSchedule, numTrainTimesteps, betaStart, betaEnd);
    }

    /** A new sampler for this stage. */
    public Sampler newSampler() {
        NoiseSchedule schedule = noiseSchedule();
        return switch (sampler) {
            case DDPM -> new DdpmSampler(schedule, predictionType, varianceType, clipSampleRange);
            case DDIM -> new DdimSampler(schedule, predictionType, clipSampleRange, eta);
        };
    }
}
