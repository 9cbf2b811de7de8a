package org.unclip.gateway.stages;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.EncodeImageRequest;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.TextEncoding;
import org.unclip.gateway.embeddings.EmbeddingMath;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.jobs.ImageResult;
import org.unclip.gateway.jobs.JobSpec;
import org.unclip.gateway.jobs.Manipulation;

/**
 * Interpolations and text diffs (DALL·E 2 paper, section 3) across the mesh: the endpoints' CLIP
 * image embeddings come from the prior (a prompt: text encoder, then prior) or the image encoder
 * (an input image), the frames are computed here with {@link EmbeddingMath}, and the decoder turns
 * all frames into images in one call, every frame with the job's one seed, so that the frames
 * differ only by their embeddings (the paper keeps the decoder's noise fixed the same way).
 *
 * <p>The decoder's text conditioning is the empty prompt (text unset), as for variations: the
 * frames lie between captions, and the embedding alone should carry the change.
 */
@ApplicationScoped
public class ManipulationPipeline {

    private final StageClients stages;

    @Inject
    public ManipulationPipeline(StageClients stages) {
        this.stages = stages;
    }

    /**
     * Runs an interpolation or text-diff job.
     *
     * @param inputs the job's input images, in index order
     * @return one image per frame, in frame order
     * @throws StageException when a stage fails or answers something unusable
     * @throws ApiException when the request turns out to be unusable (a text diff whose captions
     *     have the same embedding)
     */
    public List<ImageResult> run(JobSpec spec, List<byte[]> inputs, ProgressListener listener) {
        Manipulation manipulation = spec.manipulation();
        if (manipulation instanceof Manipulation.Interpolation interpolation) {
            return interpolate(spec, interpolation, inputs, listener);
        }
        if (manipulation instanceof Manipulation.TextDiff textDiff) {
            return textDiff(spec, textDiff, inputs, listener);
        }
        throw new IllegalArgumentException("job kind " + spec.kind() + " is not a manipulation");
    }

    private List<ImageResult> interpolate(
            JobSpec spec, Manipulation.Interpolation interpolation, List<byte[]> inputs, ProgressListener listener) {
        List<Manipulation.Endpoint> ends = List.of(interpolation.from(), interpolation.to());
        List<String> prompts = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        for (Manipulation.Endpoint end : ends) {
            if (end.hasPrompt()) {
                prompts.add(end.prompt());
            } else {
                images.add(inputs.get(end.image()));
            }
        }
        listener.onProgress(StageClients.TEXT_ENCODER, 0, 0);
        // Also answers the encoding of "" that the decoder's unconditional rows need.
        EncodeTextResponse text = encodeText(prompts.isEmpty() ? List.of("") : prompts);
        float[][] fromImages = images.isEmpty() ? new float[0][] : encodeImages(images, listener);
        float[][] fromPrompts =
                prompts.isEmpty() ? new float[0][] : prior(spec, text.getConditional(), text.getUnconditional(), prompts.size(), listener);
        float[][] z = new float[2][];
        int nextPrompt = 0;
        int nextImage = 0;
        for (int i = 0; i < 2; i++) {
            z[i] = ends.get(i).hasPrompt() ? fromPrompts[nextPrompt++] : fromImages[nextImage++];
        }
        List<float[]> frames = new ArrayList<>();
        for (double theta : interpolation.thetas()) {
            frames.add(EmbeddingMath.slerp(z[0], z[1], theta));
        }
        return decode(spec, frames, text.getUnconditional(), listener);
    }

    private List<ImageResult> textDiff(
            JobSpec spec, Manipulation.TextDiff textDiff, List<byte[]> inputs, ProgressListener listener) {
        Manipulation.Endpoint start = textDiff.start();
        List<String> prompts = new ArrayList<>(List.of(textDiff.fromText(), textDiff.toText()));
        if (start.hasPrompt()) {
            prompts.add(start.prompt());
        }
        listener.onProgress(StageClients.TEXT_ENCODER, 0, 0);
        EncodeTextResponse text = encodeText(prompts);
        float[][] captions =
                EmbeddingTensors.rows(
                        text.getConditional().getTextEmbeds(), prompts.size(), StageClients.TEXT_ENCODER, "text_embeds");
        float[] diff;
        try {
            diff = EmbeddingMath.textDiff(captions[0], captions[1]);
        } catch (IllegalArgumentException e) {
            throw new ApiException(
                    ApiError.invalidRequest(
                            "Invalid 'to_text': it has the same CLIP text embedding as 'from_text', so there is no "
                                    + "direction to move in. Use captions that differ in what they describe.",
                            "to_text",
                            "invalid_value"));
        }
        float[] z =
                start.hasPrompt()
                        ? prior(spec, EmbeddingTensors.row(text.getConditional(), 2), text.getUnconditional(), 1, listener)[0]
                        : encodeImages(List.of(inputs.get(start.image())), listener)[0];
        List<float[]> frames = new ArrayList<>();
        for (double theta : textDiff.thetas()) {
            frames.add(EmbeddingMath.slerp(z, diff, theta));
        }
        return decode(spec, frames, text.getUnconditional(), listener);
    }

    private EncodeTextResponse encodeText(List<String> prompts) {
        return stages.encodeText(EncodeTextRequest.newBuilder().addAllPrompts(prompts).build());
    }

    /** CLIP image embeddings of the images, one row each. */
    private float[][] encodeImages(List<byte[]> images, ProgressListener listener) {
        listener.onProgress(StageClients.IMAGE_ENCODER, 0, 0);
        EncodeImageRequest.Builder request = EncodeImageRequest.newBuilder();
        for (byte[] png : images) {
            request.addImages(ByteString.copyFrom(png));
        }
        float[][] rows =
                EmbeddingTensors.rows(
                        stages.encodeImage(request.build()).getImageEmbeds(), images.size(), StageClients.IMAGE_ENCODER, "image_embeds");
        return directed(rows, StageClients.IMAGE_ENCODER);
    }

    /**
     * One prior sample per prompt of {@code text} (batch {@code count}), every one with the job's
     * seed, so that two prompts are sampled with the same noise.
     */
    private float[][] prior(JobSpec spec, TextEncoding text, TextEncoding unconditional, int count, ProgressListener listener) {
        listener.onProgress(StageClients.PRIOR, 0, 0);
        PriorRequest request =
                PriorRequest.newBuilder()
                        .setText(text)
                        .setUnconditional(unconditional)
                        .addAllSeeds(Collections.nCopies(count, spec.seeds().get(0)))
                        .setSteps(spec.priorSteps())
                        .setGuidanceScale(spec.priorGuidanceScale())
                        .setPreset(spec.preset() == null ? "" : spec.preset())
                        .setRequestId(spec.requestId())
                        .build();
        float[][] rows =
                EmbeddingTensors.rows(
                        stages.generateEmbeddings(request, listener).getImageEmbeds(), count, StageClients.PRIOR, "image_embeds");
        return directed(rows, StageClients.PRIOR);
    }

    /** Every frame decoded with the job's seed (the spec holds it once per frame). */
    private List<ImageResult> decode(JobSpec spec, List<float[]> frames, TextEncoding unconditional, ProgressListener listener) {
        listener.onProgress(StageClients.DECODER, 0, 0);
        DecoderResult images =
                stages.generateImages(
                        GenerationPipeline.decoderRequest(spec, EmbeddingTensors.matrix(frames), unconditional).build(), listener);
        return GenerationPipeline.check(spec, images);
    }

    /** Embeddings without a direction (zero or not finite) cannot be interpolated: the stage misbehaved. */
    private static float[][] directed(float[][] rows, String stage) {
        for (float[] row : rows) {
            double norm = EmbeddingMath.norm(row);
            if (!(norm > 0) || !Double.isFinite(norm)) {
                throw new StageException(
                        stage, Status.INTERNAL.withDescription("returned an image embedding of length " + norm), 1, null);
            }
        }
        return rows;
    }
}
