package org.unclip.gateway.stages;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import io.grpc.Status;
import org.unclip.gateway.jobs.ImageResult;
import org.unclip.gateway.jobs.JobSpec;

/**
 * One text-to-image generation across the mesh: text encoder → prior → decoder (with its
 * upsamplers); or a variation of an image: image encoder → decoder. The prompt is encoded once and shared by all images; image {@code i} depends only
 * on {@code seeds[i]}.
 */
@ApplicationScoped
public class GenerationPipeline {

    private final StageClients stages;

    @Inject
    public GenerationPipeline(StageClients stages) {
        this.stages = stages;
    }

    /** Stages of a generation whose outputs are checkpointed, in order. */
    public static final List<String> CHECKPOINTED_STAGES = List.of(StageClients.TEXT_ENCODER, StageClients.PRIOR);

    /**
     * Runs the three stages, starting after the last one whose output {@code checkpoints} holds
     * from an earlier run of the same job, and keeping each finished stage's output there.
     *
     * @return one image per seed, in seed order
     * @throws StageException when a stage fails or answers something unusable
     */
    public List<ImageResult> run(JobSpec spec, ProgressListener listener, StageCheckpoints checkpoints) {
        EncodeTextResponse text = resumed(checkpoints, StageClients.TEXT_ENCODER, EncodeTextResponse.parser());
        if (text == null) {
            listener.onProgress(StageClients.TEXT_ENCODER, 0, 0);
            text = stages.encodeText(EncodeTextRequest.newBuilder().addPrompts(spec.prompt()).build());
            checkpoints.save(StageClients.TEXT_ENCODER, text.toByteArray());
        }

        PriorResult embeddings = resumed(checkpoints, StageClients.PRIOR, PriorResult.parser());
        if (embeddings == null) {
            listener.onProgress(StageClients.PRIOR, 0, 0);
            embeddings =
                    stages.generateEmbeddings(
                            PriorRequest.newBuilder()
                                    .setText(text.getConditional())
                                    .setUnconditional(text.getUnconditional())
                                    .addAllSeeds(spec.seeds())
                                    .setSteps(spec.priorSteps())
                                    .setGuidanceScale(spec.priorGuidanceScale())
                                    .setPreset(spec.preset() == null ? "" : spec.preset())
                                    .setRequestId(spec.requestId())
                                    .build(),
                            listener);
            checkpoints.save(StageClients.PRIOR, embeddings.toByteArray());
        }

        listener.onProgress(StageClients.DECODER, 0, 0);
        DecoderResult images =
                stages.generateImages(
                        decoderRequest(spec, embeddings.getImageEmbeds(), text.getUnconditional())
                                .setText(text.getConditional())
                                .build(),
                        listener);
        return check(spec, images);
    }

    /** A kept stage output, or null when there is none (or it cannot be read: the stage runs again). */
    private static <T> T resumed(StageCheckpoints checkpoints, String stage, com.google.protobuf.Parser<T> parser) {
        byte[] kept = checkpoints.load(stage).orElse(null);
        if (kept == null) {
            return null;
        }
        try {
            return parser.parseFrom(kept);
        } catch (com.google.protobuf.InvalidProtocolBufferException unreadable) {
            return null;
        }
    }

    /**
     * A variation of {@code png}: its CLIP image embedding (EncodeImage) conditions the decoder for
     * every seed, with the empty prompt (text unset) and no prior.
     *
     * @return one image per seed, in seed order
     */
    public List<ImageResult> runVariation(JobSpec spec, byte[] png, ProgressListener listener) {
        listener.onProgress(StageClients.IMAGE_ENCODER, 0, 0);
        org.unclip.api.v1.EncodeImageResponse encoded =
                stages.encodeImage(
                        org.unclip.api.v1.EncodeImageRequest.newBuilder()
                                .addImages(com.google.protobuf.ByteString.copyFrom(png))
                                .build());
        // The decoder's unconditional rows need the encoding of "" (batch 1).
        EncodeTextResponse empty = stages.encodeText(EncodeTextRequest.newBuilder().addPrompts("").build());
        org.unclip.api.v1.Tensor embeds = repeat(encoded.getImageEmbeds(), spec.n());

        listener.onProgress(StageClients.DECODER, 0, 0);
        DecoderResult images =
                stages.generateImages(decoderRequest(spec, embeds, empty.getUnconditional()).build(), listener);
        return check(spec, images);
    }

    /** The decoder call of a job: its embeddings, seeds and sampling settings; text left to the caller. */
    static DecoderRequest.Builder decoderRequest(
            JobSpec spec, org.unclip.api.v1.Tensor imageEmbeds, org.unclip.api.v1.TextEncoding unconditional) {
        return DecoderRequest.newBuilder()
                .setImageEmbeds(imageEmbeds)
                .setUnconditional(unconditional)
                .addAllSeeds(spec.seeds())
                .setDecoderSteps(spec.decoderSteps())
                .setGuidanceScale(spec.decoderGuidanceScale())
                .setPreset(spec.preset() == null ? "" : spec.preset())
                .setUpsamplerSteps(spec.upsamplerSteps())
                .setSize(spec.size())
                .setPreviews(spec.previews())
                .setRequestId(spec.requestId());
    }

    /** A [1, D] embedding repeated to [n, D]. */
    static org.unclip.api.v1.Tensor repeat(org.unclip.api.v1.Tensor embedding, int n) {
        if (embedding.getShapeCount() != 2 || embedding.getShape(0) != 1 || embedding.getData().isEmpty()) {
            throw new StageException(
                    StageClients.IMAGE_ENCODER,
                    Status.INTERNAL.withDescription("EncodeImage returned image_embeds of shape " + embedding.getShapeList() + ", expected [1, D]"),
                    1,
                    null);
        }
        com.google.protobuf.ByteString data = com.google.protobuf.ByteString.EMPTY;
        for (int i = 0; i < n; i++) {
            data = data.concat(embedding.getData());
        }
        return org.unclip.api.v1.Tensor.newBuilder().addShape(n).addShape(embedding.getShape(1)).setData(data).build();
    }

    /** The decoder must answer one PNG per seed, in order. */
    static List<ImageResult> check(JobSpec spec, DecoderResult result) {
        if (result.getImagesCount() != spec.n()) {
            throw unusable(
                    "returned " + result.getImagesCount() + " images for " + spec.n() + " seeds");
        }
        List<ImageResult> images = new ArrayList<>(spec.n());
        for (int i = 0; i < spec.n(); i++) {
            GeneratedImage image = result.getImages(i);
            long expected = spec.seeds().get(i);
            if (image.getSeed() != expected) {
                throw unusable("returned image " + i + " with seed " + image.getSeed() + ", expected " + expected);
            }
            if (image.getPng().isEmpty()) {
                throw unusable("returned an empty image " + i);
            }
            images.add(new ImageResult(image.getPng().toByteArray(), image.getSeed(), image.getWidth(), image.getHeight()));
        }
        return images;
    }

    private static StageException unusable(String what) {
        return new StageException(
                StageClients.DECODER, Status.INTERNAL.withDescription(what), 1, null);
    }
}
