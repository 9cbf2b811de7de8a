package org.unclip.core.family;

import java.util.EnumMap;
import java.util.Map;
import org.unclip.core.sampler.DdimSampler;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.DpmSolverPlusPlusSampler;
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
 * @param presetSamplers the sampler of a preset where it differs from {@code sampler} (family.json
 *     {@code "samplers": {"fast": "dpmpp_2m"}}, optional)
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
        double eta,
        Map<Preset, SamplerKind> presetSamplers) {

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
        presetSamplers = Map.copyOf(presetSamplers);
    }

    /** The same without per-preset samplers. */
    public SamplingSpec(BetaSchedule betaSchedule, int numTrainTimesteps, double betaStart, double betaEnd,
            PredictionType predictionType, VarianceType varianceType, double clipSampleRange, SamplerKind sampler,
            double eta) {
        this(betaSchedule, numTrainTimesteps, betaStart, betaEnd, predictionType, varianceType, clipSampleRange,
                sampler, eta, Map.of());
    }

    /** The sampler a preset runs. */
    public SamplerKind samplerFor(Preset preset) {
        return presetSamplers.getOrDefault(preset, sampler);
    }

    /** A new sampler for each preset of this stage. */
    public Map<Preset, Sampler> newPresetSamplers() {
        Map<Preset, Sampler> out = new EnumMap<>(Preset.class);
        for (Preset p : Preset.values()) {
            out.put(p, newSampler(samplerFor(p)));
        }
        return out;
    }

    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.create(betaSchedule, numTrainTimesteps, betaStart, betaEnd);
    }

    /** A new sampler for this stage (its default, {@code sampler}). */
    public Sampler newSampler() {
        return newSampler(sampler);
    }

    private Sampler newSampler(SamplerKind kind) {
        NoiseSchedule schedule = noiseSchedule();
        return switch (kind) {
            case DDPM -> new DdpmSampler(schedule, predictionType, varianceType, clipSampleRange);
            case DDIM -> new DdimSampler(schedule, predictionType, clipSampleRange, eta);
            case DPMPP_2M -> new DpmSolverPlusPlusSampler(schedule, predictionType, clipSampleRange);
        };
    }
}
