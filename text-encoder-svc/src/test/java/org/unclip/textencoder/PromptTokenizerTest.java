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
}
