package org.unclip.gateway.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Objects;

/**
 * An image manipulation of the DALL·E 2 paper (section 3) done with CLIP image embeddings, as part
 * of a {@link JobSpec}: each frame is one image embedding, decoded with the job's one seed.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Manipulation.Interpolation.class, name = JobSpec.INTERPOLATION),
    @JsonSubTypes.Type(value = Manipulation.TextDiff.class, name = JobSpec.TEXT_DIFF)
})
public sealed interface Manipulation permits Manipulation.Interpolation, Manipulation.TextDiff {

    /** The θ of each frame, in frame order; the job makes one image per θ. */
    List<Double> thetas();

    /** The {@link JobSpec#kind()} this manipulation belongs to. */
    String kind();

    /** Input images the job reads ({@link JobKeys#input(String, int)} 0 .. count − 1). */
    int inputImages();

    /**
     * Where an image embedding comes from: a prompt (text encoder, then the prior) or an input
     * image (the CLIP image encoder). Exactly one of the two is set.
     *
     * @param prompt the prompt, or null
     * @param image the index of the job's input image, or null
     */
    record Endpoint(String prompt, Integer image) {
        public Endpoint {
            if ((prompt == null) == (image == null)) {
                throw new IllegalArgumentException("an endpoint is either a prompt or an image");
            }
            if (image != null && image < 0) {
                throw new IllegalArgumentException("image index must be >= 0, got " + image);
            }
        }

        public static Endpoint ofPrompt(String prompt) {
            return new Endpoint(prompt, null);
        }

        public static Endpoint ofImage(int index) {
            return new Endpoint(null, index);
        }

        public boolean hasPrompt() {
            return prompt != null;
        }
    }

    /**
     * Frames {@code slerp(z(from), z(to), θ)}.
     */
    record Interpolation(Endpoint from, Endpoint to, List<Double> thetas) implements Manipulation {
        public Interpolation {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            thetas = checked(thetas);
        }

        @Override
        public String kind() {
            return JobSpec.INTERPOLATION;
        }

        @Override
        public int inputImages() {
            return count(from, to);
        }
    }

    /**
     * Frames {@code slerp(z(start), normalize(t(toText) − t(fromText)), θ)}, {@code t} the CLIP
     * text embedding.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record TextDiff(Endpoint start, String fromText, String toText, List<Double> thetas) implements Manipulation {
        public TextDiff {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(fromText, "fromText");
            Objects.requireNonNull(toText, "toText");
            thetas = checked(thetas);
        }

        @Override
        public String kind() {
            return JobSpec.TEXT_DIFF;
        }

        @Override
        public int inputImages() {
            return count(start);
        }
    }

    private static List<Double> checked(List<Double> thetas) {
        List<Double> copy = List.copyOf(thetas);
        if (copy.size() < 2) {
            throw new IllegalArgumentException("a manipulation needs at least two frames, got " + copy.size());
        }
        for (double theta : copy) {
            if (!Double.isFinite(theta)) {
                throw new IllegalArgumentException("theta must be finite, got " + theta);
            }
        }
        return copy;
    }

    private static int count(Endpoint... endpoints) {
        int count = 0;
        for (Endpoint e : endpoints) {
            if (!e.hasPrompt()) {
                count = Math.max(count, e.image() + 1);
            }
        }
        return count;
    }
}
