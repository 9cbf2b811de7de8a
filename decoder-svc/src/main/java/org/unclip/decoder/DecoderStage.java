package org.unclip.decoder;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import org.jboss.logging.Logger;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.onnx.OnnxDecoderStages;
import org.unclip.core.pipeline.DecoderPipeline;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.batch.BatchingConfig;
import org.unclip.stage.batch.LanePool;
import org.unclip.stage.batch.StepScheduler;
import org.unclip.stage.metrics.StageMetrics;

/**
 * The family's text_proj, decoder and upsampler graphs, loaded once at start-up and closed on shutdown,
 * once {@link ShutdownDrain} has let the running calls finish.
 */
@Startup
@ApplicationScoped
class DecoderStage {

    private static final Logger LOG = Logger.getLogger(DecoderStage.class);

    private final ModelFamily family;
    private final OnnxDecoderStages stages;
    private final StepScheduler<DecoderPipeline.Run> scheduler;
    private final StageMetrics metrics;
    private final LanePool lanes;

    DecoderStage(DecoderConfig config, BatchingConfig batching, StageMetrics metrics) {
        this.family = ModelFamily.load(Path.of(config.family().dir()));
        this.stages = OnnxDecoderStages.load(family, config.onnx().threads(), config.onnx().aloneThreads(),
                config.onnx().provider());
        this.metrics = metrics;
        this.lanes = new LanePool("decoder", batching.lanes());
        DecoderPipeline pipeline = pipeline();
        this.scheduler = new StepScheduler<>("decoder",
                (runs, failed) -> pipeline.step(runs, failed, lanes.executor(), lanes.parts()), batching.settings(),
                metrics.loop("decoder"));
        metrics.watch(scheduler);
        LOG.infof("decoder ready: family %s (%s), %dpx base, %d upsampler(s), output sizes %s, ONNX Runtime on %s",
                family.name(), family.dir(), family.decoder().resolution(), family.upsamplers().size(),
                family.outputSizes(), config.onnx().provider());
    }

    ModelFamily family() {
        return family;
    }

    DecoderPipeline pipeline() {
        return stages.pipeline();
    }

    /** Steps the running requests together, one batched model call per network and step. */
    StepScheduler<DecoderPipeline.Run> scheduler() {
        return scheduler;
    }

    @PreDestroy
    void close() {
        metrics.unwatch(scheduler);
        scheduler.close();
        lanes.close();
        stages.close();
    }
}
