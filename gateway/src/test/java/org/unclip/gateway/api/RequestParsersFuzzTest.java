package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.unclip.gateway.errors.ApiException;

/**
 * The request parsers on what a careless or hostile client may send: JSON trees built from the
 * fields each endpoint knows (and others), every field any JSON type and any value (huge and
 * negative numbers, fractions, unicode, nesting), raw bytes under any Content-Type, and multipart
 * fields and image bytes of any kind. Each either yields a request or is refused with a 4xx error
 * in the API's shape; no input makes a parser throw anything else (which the API would answer with
 * a 500).
 */
class RequestParsersFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> SIZES = List.of("256x256", "64x64");
    private final GenerationRequestParser generations = new GenerationRequestParser(SIZES, 1000, 10, ResponseFormat.B64_JSON);
    private final ManipulationRequestParser manipulations = new ManipulationRequestParser(generations, 16);
    private final VariationRequestParser variations = new VariationRequestParser(SIZES, 10, ResponseFormat.B64_JSON);

    /** A valid 8×8 PNG, base64, so that some generated images are real. */
    private static final String PNG_BASE64 =
            "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ISfHgA0wYRUdtBIA0MoBFD5jqJkAAAAASUVORK5CYII=";

    private static void parsedOrRefused(Supplier<?> parse) {
        try {
            assertThat(parse.get()).isNotNull();
            net.jqwik.api.statistics.Statistics.label("outcome").collect("parsed");
        } catch (ApiException refused) {
            net.jqwik.api.statistics.Statistics.label("outcome").collect("refused");
            assertThat(refused.error().status()).as(refused.getMessage()).isBetween(400, 499);
            assertThat(refused.error().message()).isNotBlank();
        }
    }

    /** The generated inputs must reach the valid path too, not only the refusals. */
    private static void someParsed() {
        net.jqwik.api.statistics.Statistics.label("outcome").coverage(checker -> checker.check("parsed").count(n -> n > 0));
    }

    private static Set<String> fields(Set<String> known, String... more) {
        Set<String> all = new TreeSet<>(known);
        all.addAll(List.of(more));
        return all;
    }

    @Property(tries = 1000)
    void generations(@ForAll("generationBodies") String body) {
        parsedOrRefused(() -> generations.parse("application/json", body.getBytes(StandardCharsets.UTF_8)));
        someParsed();
    }

    @Property(tries = 500)
    void generationsFromAnyBytesUnderAnyContentType(
            @ForAll @Size(max = 600) byte[] body, @ForAll("contentTypes") String contentType) {
        parsedOrRefused(() -> generations.parse(contentType.isEmpty() ? null : contentType, body));
    }

    @Property(tries = 500)
    void interpolations(@ForAll("interpolationBodies") String body) {
        parsedOrRefused(() -> manipulations.parseInterpolation(readTree(body)));
        someParsed();
    }

    @Property(tries = 500)
    void textDiffs(@ForAll("textDiffBodies") String body) {
        parsedOrRefused(() -> manipulations.parseTextDiff(readTree(body)));
        someParsed();
    }

    @Property(tries = 500)
    void variations(@ForAll("images") byte[] image, @ForAll("variationFields") Map<String, String> fields) {
        parsedOrRefused(() -> variations.parse(new VariationRequestParser.ImageSource() {
            @Override
            public long size() {
                return image.length;
            }

            @Override
            public byte[] bytes() {
                return image;
            }
        }, fields));
        someParsed();
    }

    private static JsonNode readTree(String body) {
        return GenerationRequestParser.readJson("application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.of("", "application/json", "application/json; charset=utf-8", "text/plain",
                "multipart/form-data", "application/x-www-form-urlencoded", "application/json;;;", "*/*", "APPLICATION/JSON");
    }

    @Provide
    Arbitrary<String> generationBodies() {
        return bodies("{\"prompt\": \"a red circle\"}", fields(GenerationRequestParser.KNOWN_FIELDS, "type", "frames", "unknown_field"));
    }

    @Provide
    Arbitrary<String> interpolationBodies() {
        return bodies("{\"from\": {\"prompt\": \"a red circle\"}, \"to\": {\"image\": \"" + PNG_BASE64 + "\"}, \"frames\": 3}",
                fields(ManipulationRequestParser.INTERPOLATION_FIELDS, "frames"));
    }

    @Provide
    Arbitrary<String> textDiffBodies() {
        return bodies("{\"prompt\": \"a red circle\", \"from_text\": \"a red circle\", \"to_text\": \"a blue circle\"}",
                fields(ManipulationRequestParser.TEXT_DIFF_FIELDS, "frames"));
    }

    /**
     * JSON text: a valid body with up to four of {@code names} set to any value or removed, now and
     * then an object of random fields, or not an object at all.
     */
    private static Arbitrary<String> bodies(String valid, Set<String> names) {
        ObjectNode base = (ObjectNode) readTree(valid);
        Arbitrary<String> name = Arbitraries.of(new ArrayList<>(names));
        Arbitrary<JsonNode> mutated = Arbitraries.maps(name, value(2).injectNull(0.2)).ofMaxSize(4).map(changes -> {
            ObjectNode node = base.deepCopy();
            changes.forEach((field, newValue) -> {
                if (newValue == null) {
                    node.remove(field);
                } else {
                    node.set(field, newValue);
                }
            });
            return node;
        });
        Arbitrary<JsonNode> random = Arbitraries.maps(name, value(2)).ofMaxSize(names.size()).map(entries -> {
            ObjectNode node = NODES.objectNode();
            entries.forEach(node::set);
            return node;
        });
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(12, mutated),
                        net.jqwik.api.Tuple.of(3, random),
                        net.jqwik.api.Tuple.of(1, value(2)))
                .map(RequestParsersFuzzTest::write);
    }

    /** Any JSON value, nested up to {@code depth} levels (objects use the manipulation sources' fields). */
    private static Arbitrary<JsonNode> value(int depth) {
        List<Arbitrary<JsonNode>> leaves = List.of(
                Arbitraries.just(NODES.nullNode()),
                Arbitraries.of(true, false).map(NODES::booleanNode),
                Arbitraries.integers().map(NODES::numberNode),
                Arbitraries.longs().map(NODES::numberNode),
                Arbitraries.integers().between(-3, 1100).map(NODES::numberNode),
                Arbitraries.doubles().map(NODES::numberNode),
                Arbitraries.bigIntegers().between(java.math.BigInteger.TEN.pow(30).negate(), java.math.BigInteger.TEN.pow(30)).map(NODES::numberNode),
                Arbitraries.of("", " ", "a red circle", "256x256", "64x64", "url", "b64_json", "dall-e-2", "unclip", "fast",
                        "quality", "interpolation", "text_diff", "generation", PNG_BASE64, "data:image/png;base64," + PNG_BASE64,
                        "NaN", "-1", "1e309", "\u0000", "\ud800", "a".repeat(1200)).map(NODES::textNode),
                Arbitraries.strings().ofMaxLength(80).map(NODES::textNode));
        Arbitrary<JsonNode> leaf = Arbitraries.oneOf(leaves);
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<JsonNode> array = value(depth - 1).list().ofMaxSize(4).map(items -> {
            ArrayNode node = NODES.arrayNode();
            items.forEach(node::add);
            return node;
        });
        Arbitrary<JsonNode> source = Arbitraries.maps(Arbitraries.of("prompt", "image", "other"), value(depth - 1)).ofMaxSize(3)
                .map(entries -> {
                    ObjectNode node = NODES.objectNode();
                    entries.forEach(node::set);
                    return node;
                });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, leaf), net.jqwik.api.Tuple.of(1, array), net.jqwik.api.Tuple.of(1, source));
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Provide
    Arbitrary<byte[]> images() {
        byte[] png = Base64.getDecoder().decode(PNG_BASE64);
        Arbitrary<byte[]> flipped = Arbitraries.integers().between(0, png.length - 1).list().ofMinSize(1).ofMaxSize(6).map(at -> {
            byte[] copy = png.clone();
            at.forEach(i -> copy[i] ^= (byte) 0x5a);
            return copy;
        });
        return Arbitraries.oneOf(Arbitraries.just(png), flipped, Arbitraries.bytes().array(byte[].class).ofMaxSize(300));
    }

    @Provide
    Arbitrary<Map<String, String>> variationFields() {
        Arbitrary<String> name = Arbitraries.of("n", "size", "response_format", "model", "user", "seed", "decoder_steps",
                "upsampler_steps", "decoder_guidance_scale", "preset", "prompt", "other");
        Arbitrary<String> value = Arbitraries.oneOf(
                Arbitraries.of("", "1", "10", "11", "0", "-1", "256x256", "64x64", "32x32", "url", "b64_json", "dall-e-2",
                        "gpt-image-1", "fast", "1e9", "NaN", "9223372036854775808", "3.5", "\u0000"),
                Arbitraries.strings().ofMaxLength(40));
        return Arbitraries.maps(name, value).ofMaxSize(8);
    }
}
