package org.unclip.textencoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java tokenizer against ids dumped by the training package's reference tokenizer
 * ({@code training/unclip_training/goldens.py}), read from the shipped family's tokenizer.json.
 *
 * <p>A Quarkus test only so that the tokenizer's native library is loaded by the same class loader
 * as in the service tests of this module (a JVM may load it into one class loader only).
 */
@QuarkusTest
class PromptTokenizerTest {

    private static PromptTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = new PromptTokenizer(TestFamily.dir().resolve("tokenizer.json"), 24);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    record Golden(String prompt, long[] ids, boolean[] mask) {}

    static Stream<Golden> goldens() throws IOException {
        Path file = Path.of("src/test/resources/tokenizer-golden.tsv");
        return Files.readAllLines(file).stream()
                .filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> {
                    String[] cols = line.split("\t", -1);
                    long[] ids = Arrays.stream(cols[1].split(" ")).mapToLong(Long::parseLong).toArray();
                    String[] m = cols[2].split(" ");
                    boolean[] mask = new boolean[m.length];
                    for (int i = 0; i < m.length; i++) {
                        mask[i] = m[i].equals("1");
                    }
                    return new Golden(cols[0], ids, mask);
                });
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void matchesTheReferenceTokenizer(Golden golden) {
        PromptTokenizer.TokenizedBatch batch = tokenizer.tokenize(List.of(golden.prompt()));

        assertThat(batch.ids()).as(golden.prompt()).containsExactly(golden.ids());
        assertThat(batch.mask()).as(golden.prompt()).containsExactly(golden.mask());
    }

    @Test
    void longPromptsAreCutAndEndWithEndOfText() {
        String prompt = String.join(" ", java.util.Collections.nCopies(40, "red"));

        long[] row = tokenizer.tokenize(List.of(prompt)).row(0);

        assertThat(row).hasSize(24);
        assertThat(row[23]).isEqualTo(tokenizer.endOfText());
        assertThat(row[22]).isNotEqualTo(tokenizer.endOfText());
    }

    @Test
    void batchRowsAreIndependent() {
        PromptTokenizer.TokenizedBatch alone = tokenizer.tokenize(List.of("a blue square"));
        PromptTokenizer.TokenizedBatch both = tokenizer.tokenize(List.of("a red circle", "a blue square"));

        assertThat(both.row(1)).containsExactly(alone.row(0));
    }

    /**
     * Fuzz: 3,000 prompts drawn from a fixed seed (any code point: controls, combining marks, lone
     * surrogates, emoji, right-to-left text, NULs, up to 4,000 characters). Every one gives a
     * full-length row that starts with start-of-text, marks a prefix of the row, ends its marked
     * part with end-of-text and pads with 0; none throws.
     */
    @Test
    void anyPrompt_givesAWellFormedRow() {
        java.util.Random random = new java.util.Random(20261202);
        long startOfText = tokenizer.tokenize(List.of("")).row(0)[0];
        for (int i = 0; i < 3000; i++) {
            String prompt = randomPrompt(random);
            PromptTokenizer.TokenizedBatch batch = tokenizer.tokenize(List.of(prompt));
            long[] row = batch.row(0);
            boolean[] mask = java.util.Arrays.copyOfRange(batch.mask(), 0, 24);
            int marked = 0;
            while (marked < mask.length && mask[marked]) {
                marked++;
            }
            String what = "prompt #" + i + " " + prompt.codePoints().limit(40).mapToObj(Integer::toHexString).toList();
            assertThat(row).as(what).hasSize(24);
            assertThat(row[0]).as(what).isEqualTo(startOfText);
            assertThat(marked).as(what).isBetween(2, 24);
            for (int k = marked; k < mask.length; k++) {
                assertThat(mask[k]).as(what + ": the mask is a prefix").isFalse();
                assertThat(row[k]).as(what + ": padding").isZero();
            }
            assertThat(row[marked - 1]).as(what + ": end of text").isEqualTo(tokenizer.endOfText());
        }
    }

    private static String randomPrompt(java.util.Random random) {
        int length = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(8);
            case 1 -> random.nextInt(64);
            case 2 -> random.nextInt(400);
            default -> random.nextInt(4000);
        };
        StringBuilder prompt = new StringBuilder(length);
        String words = " a red blue green circle square triangle on the left of background ";
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(6)) {
                case 0 -> prompt.append(words.charAt(random.nextInt(words.length())));
                case 1 -> prompt.append((char) random.nextInt(0x80)); // ASCII, controls included
                case 2 -> prompt.append((char) (0xD800 + random.nextInt(0x800))); // lone surrogates
                case 3 -> prompt.appendCodePoint(0x1F300 + random.nextInt(0x300)); // emoji
                case 4 -> prompt.appendCodePoint(random.nextInt(0x3000)); // Latin, combining, RTL, CJK punctuation
                default -> prompt.appendCodePoint(random.nextInt(Character.MAX_CODE_POINT + 1));
            }
        }
        return prompt.toString();
    }
}
