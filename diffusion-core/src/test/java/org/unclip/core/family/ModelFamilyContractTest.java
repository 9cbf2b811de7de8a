package org.unclip.core.family;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * models/CONTRACT.md is the one definition of family.json: every key the loader looks up must be
 * in its tables (a stage's own keys, such as {@code prior.schedule.beta_schedule}, in the table of
 * keys every stage has, as {@code schedule.beta_schedule}), and every key those tables name must be
 * one the loader reads.
 */
class ModelFamilyContractTest {

    private static final Pattern STAGE = Pattern.compile("^(prior|decoder|upsamplers\\[k])\\.(.+)$");
    private static final Pattern CODE = Pattern.compile("`([a-z_\\[\\].]+)`");

    static Path root() {
        String root = System.getProperty("unclip.root");
        return root != null && !root.isBlank() ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }

    /** The keys in the first column of the tables of the "## family.json" section. */
    private static Set<String> documentedKeys() throws IOException {
        List<String> lines = Files.readAllLines(root().resolve("models/CONTRACT.md"));
        Set<String> keys = new TreeSet<>();
        boolean inSection = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## family.json");
                continue;
            }
            if (!inSection || !line.startsWith("| `")) {
                continue;
            }
            String firstCell = line.substring(1, line.indexOf('|', 1));
            Matcher m = CODE.matcher(firstCell);
            while (m.find()) {
                keys.add(m.group(1));
            }
        }
        assertThat(keys).as("family.json keys in models/CONTRACT.md").contains("context_length", "steps.fast");
        return keys;
    }

    /** The keys the loader looks up in a family.json, indices written as [k]. */
    private static Set<String> keysRead(Path familyJson) throws IOException {
        Set<String> read = new LinkedHashSet<>();
        ModelFamily.parse(familyJson.getParent(), Files.readString(familyJson),
                key -> read.add(key.replaceAll("\\[\\d+]", "[k]")));
        return read;
    }

    /** Documented itself, or an object whose fields are. */
    private static boolean listed(String key, Set<String> documented) {
        return documented.contains(key) || documented.stream().anyMatch(d -> d.startsWith(key + "."));
    }

    private static boolean documented(String key, Set<String> documented) {
        if (listed(key, documented)) {
            return true;
        }
        Matcher stage = STAGE.matcher(key);
        if (!stage.matches()) {
            return false;
        }
        // a preset's entry of "samplers" is documented with "samplers" itself
        String own = stage.group(2).replaceFirst("^samplers\\..*$", "samplers");
        return listed(own, documented);
    }

    @Test
    void everyKeyTheLoaderReadsIsDocumented() throws Exception {
        Set<String> documented = documentedKeys();
        Set<String> read = new TreeSet<>();
        read.addAll(keysRead(root().resolve("models/shapes-tiny/family.json")));
        read.addAll(keysRead(Path.of(getClass().getResource("/family/tiny/family.json").toURI())));
        assertThat(read).contains("image_encoder.image_size", "upsamplers[k].graph_last", "decoder.samplers",
                "upsamplers[k].schedule.beta_start", "upsamplers[k].eta");
        assertThat(read).allSatisfy(key -> assertThat(documented(key, documented))
                .as("family.json key '%s' is read by ModelFamily but not documented in models/CONTRACT.md", key)
                .isTrue());
    }

    @Test
    void everyDocumentedKeyIsRead() throws Exception {
        Set<String> read = new TreeSet<>();
        read.addAll(keysRead(root().resolve("models/shapes-tiny/family.json")));
        read.addAll(keysRead(Path.of(getClass().getResource("/family/tiny/family.json").toURI())));
        Set<String> stageKeys = new TreeSet<>();
        for (String key : read) {
            Matcher stage = STAGE.matcher(key);
            if (stage.matches()) {
                stageKeys.add(stage.group(2));
            }
        }
        assertThat(documentedKeys()).allSatisfy(key -> assertThat(read.contains(key) || stageKeys.contains(key)
                        || key.equals("upsamplers"))
                .as("models/CONTRACT.md documents family.json key '%s', which ModelFamily never reads", key)
                .isTrue());
    }
}
