package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job spec as stored in Redis: manipulations survive the JSON round trip, and bad combinations are refused. */
class JobSpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JobSpec spec(String kind, Manipulation manipulation, int frames) {
        return new JobSpec("req", "", 64, java.util.Collections.nCopies(frames, 5L), 0, 0, 0, 0f, 0f, false, kind, null, manipulation);
    }

    @Test
    void interpolation_roundTripsThroughJson() throws Exception {
        Manipulation.Interpolation interpolation =
                new Manipulation.Interpolation(
                        Manipulation.Endpoint.ofPrompt("a red circle"), Manipulation.Endpoint.ofImage(0), List.of(0.0, 0.5, 1.0));
        JobSpec spec = spec(JobSpec.INTERPOLATION, interpolation, 3);

        String json = JSON.writeValueAsString(spec);
        JobSpec back = JSON.readValue(json, JobSpec.class);

        assertThat(json).contains("\"manipulation\":{\"type\":\"interpolation\"");
        assertThat(back).isEqualTo(spec);
        assertThat(back.inputImages()).isEqualTo(1);
    }

    @Test
    void textDiff_roundTripsThroughJson_inSnakeCase() throws Exception {
        Manipulation.TextDiff diff =
                new Manipulation.TextDiff(Manipulation.Endpoint.ofImage(0), "a red circle", "a blue circle", List.of(0.0, 0.25, 0.5));
        JobSpec spec = spec(JobSpec.TEXT_DIFF, diff, 3);

        String json = JSON.writeValueAsString(spec);

        assertThat(json).contains("\"from_text\":\"a red circle\"").contains("\"to_text\":\"a blue circle\"");
        assertThat(JSON.readValue(json, JobSpec.class)).isEqualTo(spec);
    }

    @Test
    void aSpecStoredBeforeManipulations_stillReads() throws Exception {
        String old = "{\"request_id\":\"r\",\"prompt\":\"a red circle\",\"size\":64,\"seeds\":[1,2],\"kind\":\"generation\"}";
        JobSpec spec = JSON.readValue(old, JobSpec.class);
        assertThat(spec.manipulation()).isNull();
        assertThat(spec.inputImages()).isZero();
    }

    @Test
    void kindAndManipulation_mustAgree_andSeedsMatchFrames() {
        Manipulation.Interpolation interpolation =
                new Manipulation.Interpolation(Manipulation.Endpoint.ofPrompt("a"), Manipulation.Endpoint.ofPrompt("b"), List.of(0.0, 1.0));
        assertThatThrownBy(() -> spec(JobSpec.TEXT_DIFF, interpolation, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec(JobSpec.INTERPOLATION, null, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec(JobSpec.GENERATION, interpolation, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec(JobSpec.INTERPOLATION, interpolation, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one seed per frame");
        assertThatThrownBy(() -> new Manipulation.Endpoint("a", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Manipulation.Endpoint(null, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
