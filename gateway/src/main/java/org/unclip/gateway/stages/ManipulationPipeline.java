package org.unclip.gateway.stages;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.EncodeImageRequest;
import org.unclip.api.v1.EncodeImageResponse;
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
        List<String> names = List.of("from", "to");
        List<String> prompts = new ArrayList<>();
        List<String> promptParams = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        List<String> imageParams = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Manipulation.Endpoint end = ends.get(i);
            if (end.hasPrompt()) {
                prompts.add(end.prompt());
                promptParams.add(names.get(i) + ".prompt");
            } else {
                images.add(inputs.get(end.image()));
                imageParams.add(names.get(i) + ".image");
            }
        }
        listener.onProgress(StageClients.TEXT_ENCODER, 0, 0);
        // Also answers the encoding of "" that the decoder's unconditional rows need.
        EncodeTextResponse text =
                prompts.isEmpty() ? encodeText(List.of(""), Collections.singletonList(null)) : encodeText(prompts, promptParams);
        float[][] fromImages = images.isEmpty() ? new float[0][] : encodeImages(images, imageParams, listener);
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
        List<String> promptParams = new ArrayList<>(List.of("from_text", "to_text"));
        if (start.hasPrompt()) {
            prompts.add(start.prompt());
            promptParams.add("prompt");
        }
        listener.onProgress(StageClients.TEXT_ENCODER, 0, 0);
        EncodeTextResponse text = encodeText(prompts, promptParams);
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
                        : encodeImages(List.of(inputs.get(start.image())), List.of("image"), listener)[0];
        List<float[]> frames = new ArrayList<>();
        for (double theta : textDiff.thetas()) {
            frames.add(EmbeddingMath.slerp(z, diff, theta));
        }
        return decode(spec, frames, text.getUnconditional(), listener);
    }

    /**
     * @param params the request field each prompt came from (null for none), so that the text
     *     encoder's complaint about one prompt names it
     */
    private EncodeTextResponse encodeText(List<String> prompts, List<String> params) {
        try {
            return stages.encodeText(EncodeTextRequest.newBuilder().addAllPrompts(prompts).build());
        } catch (StageException e) {
            throw e.withParam(rowParam(e, params));
        }
    }

    /**
     * CLIP image embeddings of the images, one row each.
     *
     * @param params the request field each image came from
     */
    private float[][] encodeImages(List<byte[]> images, List<String> params, ProgressListener listener) {
        listener.onProgress(StageClients.IMAGE_ENCODER, 0, 0);
        EncodeImageRequest.Builder request = EncodeImageRequest.newBuilder();
        for (byte[] png : images) {
            request.addImages(ByteString.copyFrom(png));
        }
        EncodeImageResponse response;
        try {
            response = stages.encodeImage(request.build());
        } catch (StageException e) {
            throw e.withParam(rowParam(e, params));
        }
        float[][] rows = EmbeddingTensors.rows(response.getImageEmbeds(), images.size(), StageClients.IMAGE_ENCODER, "image_embeds");
        return directed(rows, StageClients.IMAGE_ENCODER);
    }

    /**
     * The request field a stage's complaint about a batch is about: the row its description names,
     * else the one field every row came from; null when that cannot be told.
     *
     * @param params the field of each row of the batch, in order (null for a row no field made)
     */
    static String rowParam(StageException e, List<String> params) {
        OptionalInt row = e.batchIndex();
        if (row.isPresent()) {
            return row.getAsInt() < params.size() ? params.get(row.getAsInt()) : null;
        }
        return params.stream().distinct().count() == 1 ? params.get(0) : null;
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
