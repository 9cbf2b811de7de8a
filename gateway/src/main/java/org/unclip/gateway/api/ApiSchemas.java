package org.unclip.gateway.api;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The request bodies as the OpenAPI document ({@code /q/openapi}) describes them. The endpoints
 * read their bodies by hand ({@link GenerationRequestParser}, {@link VariationRequestParser},
 * {@link ManipulationRequestParser}) to give precise errors, so these records exist for the
 * document only; {@code OpenApiDocumentTest} checks that their fields are exactly the ones the
 * parsers accept. Limits and sizes written here are the defaults of {@code unclip.api.*}; at
 * startup {@link OpenApiRuntimeFilter} replaces them with the configured ones.
 */
final class ApiSchemas {

    private ApiSchemas() {}

    static final String SIZES = "A square size the server allows (`unclip.api.sizes`; by default `256x256`, the default, and `64x64`).";
    static final String STEPS = "Steps of this stage; 0 or absent = the preset's or the model family's default. The stage checks the range.";
    static final String GUIDANCE = "Classifier-free guidance scale of this stage; 0 or absent = the family's default; 1 = no guidance.";
    static final String PRESET = "`fast` or `quality`: the family's step counts for every stage where no steps are given.";
    static final String FORMAT = "`b64_json` (default): the PNG inline; `url`: a URL under /v1/images/results that lives for `unclip.jobs.result-ttl`.";
    static final String PNG_BASE64 = "A square PNG of at most 4 MB and 2048 pixels a side, base64-encoded (a `data:image/png;base64,` prefix is allowed).";

    @Schema(name = "CreateImageRequest", description = "POST /v1/images/generations. Unknown fields are rejected.")
    record Generation(
            @Schema(required = true, maxLength = 1000, description = "What to draw (at most `unclip.api.max-prompt-length` characters).",
                    examples = "a large red circle in the center on a blue background")
                    String prompt,
            @Schema(minimum = "1", maximum = "10", defaultValue = "1", description = "Number of images (at most `unclip.api.max-images`).")
                    Integer n,
            @Schema(enumeration = {"256x256", "64x64"}, defaultValue = "256x256", description = SIZES) String size,
            @Schema(name = "response_format", enumeration = {"b64_json", "url"}, defaultValue = "b64_json", description = FORMAT)
                    String responseFormat,
            @Schema(description = "Accepted; one model family serves every request.") String model,
            @Schema(description = "Accepted for compatibility, unused.") String user,
            @Schema(description = "Accepted and ignored.") String quality,
            @Schema(description = "Accepted and ignored.") String style,
            @Schema(description = "Only `false`: streaming is not supported.") Boolean stream,
            @Schema(format = "int64", description = "Seed of image 0; image i ≥ 1 gets a seed derived from it. Drawn when absent.")
                    Long seed,
            @Schema(name = "prior_steps", minimum = "0", description = STEPS) Integer priorSteps,
            @Schema(name = "decoder_steps", minimum = "0", description = STEPS) Integer decoderSteps,
            @Schema(name = "upsampler_steps", minimum = "0", description = STEPS) Integer upsamplerSteps,
            @Schema(name = "prior_guidance_scale", minimum = "0", description = GUIDANCE) Double priorGuidanceScale,
            @Schema(name = "decoder_guidance_scale", minimum = "0", description = GUIDANCE) Double decoderGuidanceScale,
            @Schema(enumeration = {"fast", "quality"}, description = PRESET) String preset) {}

    @Schema(name = "CreateImageVariationRequest", description = "POST /v1/images/variations, as multipart/form-data. Other fields are ignored.")
    record Variation(
            @Schema(required = true, type = SchemaType.STRING, format = "binary", description = "A square PNG file of at most 4 MB and 2048 pixels a side.")
                    byte[] image,
            @Schema(minimum = "1", maximum = "10", defaultValue = "1", description = "Number of variations.") Integer n,
            @Schema(enumeration = {"256x256", "64x64"}, defaultValue = "256x256", description = SIZES) String size,
            @Schema(name = "response_format", enumeration = {"b64_json", "url"}, defaultValue = "b64_json", description = FORMAT)
                    String responseFormat,
            @Schema(description = "Accepted; one model family serves every request.") String model,
            @Schema(description = "Accepted for compatibility, unused.") String user,
            @Schema(format = "int64", description = "Seed of image 0; drawn when absent.") Long seed,
            @Schema(name = "decoder_steps", minimum = "0", description = STEPS) Integer decoderSteps,
            @Schema(name = "upsampler_steps", minimum = "0", description = STEPS) Integer upsamplerSteps,
            @Schema(name = "decoder_guidance_scale", minimum = "0", description = GUIDANCE) Double decoderGuidanceScale) {}

    @Schema(name = "EmbeddingSource", description = "Where an image embedding comes from: exactly one of `prompt` and `image`.")
    record Endpoint(
            @Schema(maxLength = 1000, description = "A prompt: its CLIP image embedding is sampled by the prior with the request's seed.")
                    String prompt,
            @Schema(format = "byte", description = PNG_BASE64 + " Its embedding comes from the CLIP image encoder.") String image) {}

    @Schema(name = "CreateImageInterpolationRequest",
            description = "POST /v1/images/interpolations: `frames` images whose CLIP image embeddings go from `from`'s to `to`'s "
                    + "(spherical interpolation of the direction, linear of the length, θ evenly spaced in [0, 1]), "
                    + "all decoded with one seed and the empty prompt. Unknown fields are rejected.")
    record Interpolation(
            @Schema(required = true, implementation = Endpoint.class) Endpoint from,
            @Schema(required = true, implementation = Endpoint.class) Endpoint to,
            @Schema(minimum = "2", maximum = "16", defaultValue = "5", description = "Number of frames (at most `unclip.api.max-frames`).")
                    Integer frames,
            @Schema(format = "int64", description = "The one seed of every frame (prior and decoder). Drawn when absent.") Long seed,
            @Schema(enumeration = {"256x256", "64x64"}, defaultValue = "256x256", description = SIZES) String size,
            @Schema(name = "response_format", enumeration = {"b64_json", "url"}, defaultValue = "b64_json", description = FORMAT)
                    String responseFormat,
            @Schema(description = "Accepted; one model family serves every request.") String model,
            @Schema(description = "Accepted for compatibility, unused.") String user,
            @Schema(name = "prior_steps", minimum = "0", description = STEPS) Integer priorSteps,
            @Schema(name = "decoder_steps", minimum = "0", description = STEPS) Integer decoderSteps,
            @Schema(name = "upsampler_steps", minimum = "0", description = STEPS) Integer upsamplerSteps,
            @Schema(name = "prior_guidance_scale", minimum = "0", description = GUIDANCE) Double priorGuidanceScale,
            @Schema(name = "decoder_guidance_scale", minimum = "0", description = GUIDANCE) Double decoderGuidanceScale,
            @Schema(enumeration = {"fast", "quality"}, description = PRESET) String preset) {}

    @Schema(name = "CreateImageTextDiffRequest",
            description = "POST /v1/images/text_diffs: `frames` images whose CLIP image embedding turns from the start's "
                    + "(exactly one of `prompt` and `image`) towards normalize(t(to_text) − t(from_text)), t the CLIP text "
                    + "embedding, θ evenly spaced in [0, max_theta], all decoded with one seed and the empty prompt. "
                    + "Unknown fields are rejected.")
    record TextDiff(
            @Schema(maxLength = 1000, description = "The start as a prompt (through the prior with the seed).") String prompt,
            @Schema(format = "byte", description = "The start as an image. " + PNG_BASE64) String image,
            @Schema(name = "from_text", required = true, maxLength = 1000,
                    description = "A caption of the start (may be empty: the empty caption).", examples = "a red circle")
                    String fromText,
            @Schema(name = "to_text", required = true, maxLength = 1000,
                    description = "The caption to move towards; must differ from `from_text`.", examples = "a blue circle")
                    String toText,
            @Schema(name = "max_theta", minimum = "0", exclusiveMinimum = true, maximum = "1", defaultValue = "0.5",
                    description = "θ of the last frame: how far the embedding turns towards the text diff (the paper shows up to 0.5).")
                    Double maxTheta,
            @Schema(minimum = "2", maximum = "16", defaultValue = "5", description = "Number of frames (at most `unclip.api.max-frames`).")
                    Integer frames,
            @Schema(format = "int64", description = "The one seed of every frame (prior and decoder). Drawn when absent.") Long seed,
            @Schema(enumeration = {"256x256", "64x64"}, defaultValue = "256x256", description = SIZES) String size,
            @Schema(name = "response_format", enumeration = {"b64_json", "url"}, defaultValue = "b64_json", description = FORMAT)
                    String responseFormat,
            @Schema(description = "Accepted; one model family serves every request.") String model,
            @Schema(description = "Accepted for compatibility, unused.") String user,
            @Schema(name = "prior_steps", minimum = "0", description = STEPS) Integer priorSteps,
            @Schema(name = "decoder_steps", minimum = "0", description = STEPS) Integer decoderSteps,
            @Schema(name = "upsampler_steps", minimum = "0", description = STEPS) Integer upsamplerSteps,
            @Schema(name = "prior_guidance_scale", minimum = "0", description = GUIDANCE) Double priorGuidanceScale,
            @Schema(name = "decoder_guidance_scale", minimum = "0", description = GUIDANCE) Double decoderGuidanceScale,
            @Schema(enumeration = {"fast", "quality"}, description = PRESET) String preset) {}

    static final String PREVIEWS =
            "Ask the decoder for previews (its current x0 prediction of image 0 as a small PNG, in `preview` events, at most one "
                    + "per `unclip.jobs.preview-interval`). Default true; false spares the decoder the PNG encoding when nobody "
                    + "watches the events.";

    /** The fields that POST /v1/jobs adds to the body of the endpoint {@code type} names. */
    @Schema(name = "JobOptions")
    record JobOptions(
            @Schema(enumeration = {"generation", "interpolation", "text_diff"}, defaultValue = "generation",
                    description = "Which kind of job the rest of the body describes.")
                    String type,
            @Schema(defaultValue = "true", description = PREVIEWS) Boolean previews) {}

    @Schema(name = "CreateGenerationJobRequest", description = "A generation job: the body of /v1/images/generations (`type` absent or `generation`).",
            allOf = {Generation.class, JobOptions.class})
    record GenerationJob() {}

    @Schema(name = "CreateInterpolationJobRequest", description = "An interpolation job: `type: interpolation` and the body of /v1/images/interpolations.",
            allOf = {Interpolation.class, JobOptions.class})
    record InterpolationJob() {}

    @Schema(name = "CreateTextDiffJobRequest", description = "A text-diff job: `type: text_diff` and the body of /v1/images/text_diffs.",
            allOf = {TextDiff.class, JobOptions.class})
    record TextDiffJob() {}

    @Schema(name = "CreateVariationJobRequest",
            description = "POST /v1/jobs as multipart/form-data: a variation job, the form of /v1/images/variations plus `type` "
                    + "and `previews`. Other fields are ignored.")
    record VariationJob(
            @Schema(required = true, type = SchemaType.STRING, format = "binary", description = "A square PNG file of at most 4 MB and 2048 pixels a side.")
                    byte[] image,
            @Schema(minimum = "1", maximum = "10", defaultValue = "1", description = "Number of variations.") Integer n,
            @Schema(enumeration = {"256x256", "64x64"}, defaultValue = "256x256", description = SIZES) String size,
            @Schema(name = "response_format", enumeration = {"b64_json", "url"}, defaultValue = "b64_json",
                    description = "Accepted for symmetry with /v1/images/variations; the job answers image URLs.")
                    String responseFormat,
            @Schema(description = "Accepted; one model family serves every request.") String model,
            @Schema(description = "Accepted for compatibility, unused.") String user,
            @Schema(format = "int64", description = "Seed of image 0; drawn when absent.") Long seed,
            @Schema(name = "decoder_steps", minimum = "0", description = STEPS) Integer decoderSteps,
            @Schema(name = "upsampler_steps", minimum = "0", description = STEPS) Integer upsamplerSteps,
            @Schema(name = "decoder_guidance_scale", minimum = "0", description = GUIDANCE) Double decoderGuidanceScale,
            @Schema(enumeration = {"variation"}, defaultValue = "variation", description = "The one job a form describes.") String type,
            @Schema(defaultValue = "true", description = PREVIEWS) Boolean previews) {}

    @Schema(name = "CreateJobRequest",
            description = "POST /v1/jobs: a generation (the default), or the interpolation or text diff that `type` names.",
            oneOf = {GenerationJob.class, InterpolationJob.class, TextDiffJob.class})
    record Job() {}
}
