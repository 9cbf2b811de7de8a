package org.unclip.prior;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import org.jboss.logging.Logger;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.onnx.OnnxPriorStage;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.batch.BatchingConfig;
import org.unclip.stage.batch.LanePool;
import org.unclip.stage.batch.StepScheduler;
import org.unclip.stage.metrics.StageMetrics;

/**
 * The family's prior graph, loaded once at start-up and closed on shutdown, once
 * {@link ShutdownDrain} has let the running calls finish.
 */
@Startup
@ApplicationScoped
class PriorStage {

    private static final Logger LOG = Logger.getLogger(PriorStage.class);

    private final ModelFamily family;
    private final OnnxPriorStage prior;
    private final StepScheduler<PriorPipeline.Run> scheduler;
    private final StageMetrics metrics;
    private final LanePool lanes;

    PriorStage(PriorConfig config, BatchingConfig batching, StageMetrics metrics) {
        this.family = ModelFamily.load(Path.of(config.family().dir()));
        this.prior = OnnxPriorStage.load(family, config.onnx().threads(), config.onnx().provider());
        this.metrics = metrics;
        this.lanes = new LanePool("prior", batching.lanes());
        PriorPipeline pipeline = pipeline();
        this.scheduler = new StepScheduler<>("prior",
                (runs, failed) -> pipeline.step(runs, failed, lanes.executor(), lanes.parts()), batching.settings(),
                metrics.loop("prior"));
        metrics.watch(scheduler);
        LOG.infof("prior ready: family %s (%s), D=%d, steps %s, guidance %s, ONNX Runtime on %s", family.name(),
                family.dir(), family.embeddingDim(), family.prior().steps(), family.prior().guidance(),
                config.onnx().provider());
    }

    ModelFamily family() {
        return family;
    }

    PriorPipeline pipeline() {
        return prior.pipeline();
    }

    /** Steps the running requests together, one batched model call per network and step. */
    StepScheduler<PriorPipeline.Run> scheduler() {
        return scheduler;
    }

    @PreDestroy
    void close() {
        metrics.unwatch(scheduler);
        scheduler.close();
        lanes.close();
        prior.close();
    }
}
