package org.unclip.textencoder;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;
import org.unclip.core.family.ImageEncoderSpec;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.image.Png;
import org.unclip.core.onnx.ExecutionProvider;
import org.unclip.core.onnx.OnnxModel;
import org.unclip.core.pipeline.BatchStepper;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.batch.BatchingConfig;
import org.unclip.stage.batch.StepScheduler;
import org.unclip.stage.metrics.StageMetrics;

/**
 * The text-encoder stage: the family's tokenizer, its CLIP text encoder and its CLIP image
 * encoder, loaded once at start-up and closed on shutdown, once {@link ShutdownDrain} has let the
 * running calls finish. The encoding of the empty prompt, the unconditional input of
 * classifier-free guidance, is computed once and reused.
 */
@Startup
@ApplicationScoped
class TextEncoderStage implements BatchStepper<PromptBatch> {

    private static final Logger LOG = Logger.getLogger(TextEncoderStage.class);

    private final ModelFamily family;
    private final PromptTokenizer tokenizer;
    private final OnnxModel textEncoder;
    private final OnnxModel imageEncoder;
    private final TextEncoding unconditional;
    private final StepScheduler<PromptBatch> scheduler;
    private final StageMetrics metrics;

    TextEncoderStage(StageConfig config, BatchingConfig batching, StageMetrics metrics) {
        this.family = ModelFamily.load(Path.of(config.family().dir()));
        try {
            this.tokenizer = new PromptTokenizer(family.tokenizer(), family.contextLength());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + family.tokenizer(), e);
        }
        int threads = config.onnx().threads();
        ExecutionProvider provider = config.onnx().provider();
        this.textEncoder = OnnxModel.load(family.textEncoder().graph(), threads, provider);
        this.imageEncoder = family.imageEncoder()
                .map(spec -> OnnxModel.load(spec.graph(), threads, provider)).orElse(null);
        this.unconditional = encode(List.of(""));
        this.metrics = metrics;
        this.scheduler = new StepScheduler<>("text_encoder", this, batching.settings(), metrics.loop("text_encoder"));
        metrics.watch(scheduler);
        LOG.infof("text encoder ready: family %s (%s), L=%d, D=%d, ONNX Runtime on %s%s",
                family.name(), family.dir(), family.contextLength(), family.embeddingDim(), provider,
                imageEncoder == null ? ", text only (no image encoder: image inputs are refused)" : "");
    }

    ModelFamily family() {
        return family;
    }

    /** The encoding of the empty prompt, batch 1. */
    TextEncoding unconditional() {
        return unconditional;
    }

    /** Batches calls that arrive together into one model call. */
    StepScheduler<PromptBatch> scheduler() {
        return scheduler;
    }

    /** Encodes the prompts of every call in one model call. */
    @Override
    public void step(List<PromptBatch> calls, BiConsumer<PromptBatch, RuntimeException> failed) {
        List<String> prompts = new ArrayList<>();
        calls.forEach(c -> prompts.addAll(c.prompts()));
        TextEncoding all;
        try {
            all = encode(prompts);
        } catch (RuntimeException e) {
            calls.forEach(c -> failed.accept(c, e));
            return;
        }
        int at = 0;
        for (PromptBatch call : calls) {
            int n = call.prompts().size();
            call.finish(calls.size() == 1 ? all : all.slice(at, at + n));
            at += n;
        }
    }

    TextEncoding encode(List<String> prompts) {
        PromptTokenizer.TokenizedBatch tokens = tokenizer.tokenize(prompts);
        long[] shape = {tokens.batch(), tokens.length()};
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", LongTensor.of(tokens.ids(), shape));
        Map<String, Tensor> out = textEncoder.run(inputs);
        float[] mask = new float[tokens.mask().length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = tokens.mask()[i] ? 1f : 0f;
        }
        return new TextEncoding(
                out.get("text_embeds"), out.get("last_hidden_state"), Tensor.of(mask, shape));
    }

    boolean canEncodeImages() {
        return imageEncoder != null;
    }

    /**
     * CLIP image embeddings of encoded images (PNG, JPEG, ...): each is brought to the encoder's
     * input as CLIP does it ({@link ClipImageInput}: shorter side resized, centre cropped,
     * normalised with the family's mean/std).
     *
     * @throws IllegalArgumentException if an image cannot be decoded
     */
    Tensor encodeImages(List<byte[]> images) {
        ImageEncoderSpec spec = family.imageEncoder().orElseThrow(
                () -> new IllegalStateException("family " + family.name() + " has no image encoder"));
        List<Tensor> pixels = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            Tensor rgb;
            try {
                rgb = Png.decode(images.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("image " + i + ": " + e.getMessage(), e);
            }
            pixels.add(ClipImageInput.of(rgb, spec));
        }
        Map<String, Object> inputs = Map.of("pixel_values", Tensor.concat(pixels));
        return imageEncoder.run(inputs).get("image_embeds");
    }

    @PreDestroy
    void close() {
        metrics.unwatch(scheduler);
        scheduler.close();
        textEncoder.close();
        if (imageEncoder != null) {
            imageEncoder.close();
        }
        tokenizer.close();
    }

}
