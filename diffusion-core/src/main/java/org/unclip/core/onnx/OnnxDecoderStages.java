package org.unclip.core.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.pipeline.DecoderPipeline;
import org.unclip.core.pipeline.UpsamplerDenoiser;

/**
 * A family's text_proj, decoder and upsampler graphs, each loaded once, and the pipeline that runs
 * them. Close on shutdown.
 */
public final class OnnxDecoderStages implements AutoCloseable {

    private final List<OnnxModel> models;
    private final DecoderPipeline pipeline;

    private OnnxDecoderStages(List<OnnxModel> models, DecoderPipeline pipeline) {
        this.models = models;
        this.pipeline = pipeline;
    }

    public static OnnxDecoderStages load(ModelFamily family, int intraOpThreads) {
        return load(family, intraOpThreads, 0, ExecutionProvider.CPU);
    }

    public static OnnxDecoderStages load(ModelFamily family, int intraOpThreads, int aloneThreads) {
        return load(family, intraOpThreads, aloneThreads, ExecutionProvider.CPU);
    }

    /**
     * @param aloneThreads when above {@code intraOpThreads}, each upsampler graph is also loaded into
     *     a session with this many threads, for the calls that run alone in their step (one image's
     *     upsampler step has one row, which no lane split can share); 0 = no such sessions
     * @param provider where every graph runs
     */
    public static OnnxDecoderStages load(ModelFamily family, int intraOpThreads, int aloneThreads,
            ExecutionProvider provider) {
        List<OnnxModel> models = new ArrayList<>();
        try {
            OnnxModel textProj =
                    track(models, OnnxModel.load(family.decoder().textProjGraph(), intraOpThreads, provider));
            OnnxModel decoder = track(models, OnnxModel.load(family.decoder().graph(), intraOpThreads, provider));
            List<UpsamplerDenoiser> upsamplers = new ArrayList<>();
            for (UpsamplerSpec u : family.upsamplers()) {
                OnnxModel first = track(models, OnnxModel.load(u.graph(), intraOpThreads, provider));
                Optional<OnnxModel> last = u.graphLast().isPresent()
                        ? Optional.of(track(models,
                                OnnxModel.load(u.graphLast().get(), intraOpThreads, provider)))
                        : Optional.empty();
                if (aloneThreads > intraOpThreads) {
                    OnnxModel wide = track(models, OnnxModel.load(u.graph(), aloneThreads, provider));
                    Optional<OnnxModel> wideLast = u.graphLast().isPresent()
                            ? Optional.of(track(models,
                                    OnnxModel.load(u.graphLast().get(), aloneThreads, provider)))
                            : Optional.empty();
                    upsamplers.add(new OnnxUpsamplerDenoiser(first, last, Optional.of(wide), wideLast));
                } else {
                    upsamplers.add(new OnnxUpsamplerDenoiser(first, last));
                }
            }
            DecoderPipeline pipeline = DecoderPipeline.create(family.decoder(), family.upsamplers(),
                    new OnnxTextProjection(textProj), new OnnxDecoderDenoiser(decoder), upsamplers);
            return new OnnxDecoderStages(List.copyOf(models), pipeline);
        } catch (RuntimeException e) {
            models.forEach(OnnxModel::close);
            throw e;
        }
    }

    private static OnnxModel track(List<OnnxModel> models, OnnxModel m) {
        models.add(m);
        return m;
    }

    /** Every graph's session: text_proj, the decoder, then each upsampler's (and its last-step graph's). */
    public List<OnnxModel> models() {
        return models;
    }

    public DecoderPipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        models.forEach(OnnxModel::close);
    }
}
