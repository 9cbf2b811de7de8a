package org.unclip.decoder;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import org.jboss.logging.Logger;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.onnx.OnnxDecoderStages;
import org.unclip.core.pipeline.DecoderPipeline;

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

    DecoderStage(DecoderConfig config) {
        this.family = ModelFamily.load(Path.of(config.family().dir()));
        this.stages = OnnxDecoderStages.load(family, config.onnx().threads());
        LOG.infof("decoder ready: family %s (%s), %dpx base, %d upsampler(s), output sizes %s", family.name(),
                family.dir(), family.decoder().resolution(), family.upsamplers().size(), family.outputSizes());
    }

    ModelFamily family() {
        return family;
    }

    DecoderPipeline pipeline() {
        return stages.pipeline();
    }

    @PreDestroy
    void close() {
        stages.close();
    }
}
