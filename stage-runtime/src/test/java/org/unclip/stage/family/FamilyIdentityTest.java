package org.unclip.stage.family;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unclip.core.family.ModelFamily;

/** The family hash of the shipped families: stable, independent of the folder, sensitive to any byte. */
class FamilyIdentityTest {

    private static final Path TINY = Path.of("../models/shapes-tiny");
    private static final Path UNTRAINED = Path.of("../models/shapes-untrained");

    @Test
    void theTwoShippedFamilies_haveTheirNames_andDifferentHashes() {
        FamilyIdentity tiny = FamilyIdentity.of(ModelFamily.load(TINY));
        FamilyIdentity untrained = FamilyIdentity.of(ModelFamily.load(UNTRAINED));

        assertThat(tiny.name()).isEqualTo("shapes-tiny");
        assertThat(untrained.name()).isEqualTo("shapes-untrained");
        assertThat(tiny.hash()).matches("[0-9a-f]{64}");
        assertThat(tiny.hash()).isNotEqualTo(untrained.hash());
        assertThat(FamilyIdentity.of(ModelFamily.load(TINY))).as("hashed again").isEqualTo(tiny);
    }

    @Test
    void aCopyElsewhere_hashesAlike_butOneChangedByteInAGraph_changesTheHash(@TempDir Path temp) throws IOException {
        ModelFamily family = ModelFamily.load(TINY);
        Path copy = temp.resolve("copy");
        Files.createDirectories(copy);
        for (Path file : family.files()) {
            Files.copy(file, copy.resolve(file.getFileName()));
        }
        FamilyIdentity original = FamilyIdentity.of(family);
        assertThat(FamilyIdentity.of(ModelFamily.load(copy))).isEqualTo(original);

        Path graph = copy.resolve(family.decoder().graph().getFileName());
        byte[] bytes = Files.readAllBytes(graph);
        bytes[bytes.length / 2] ^= 1;
        Files.write(graph, bytes, StandardOpenOption.TRUNCATE_EXISTING);
        FamilyIdentity changed = FamilyIdentity.of(ModelFamily.load(copy));
        assertThat(changed.name()).isEqualTo(original.name());
        assertThat(changed.hash()).isNotEqualTo(original.hash());
    }

    @Test
    void theFilesAreFamilyJson_theTokenizer_andEveryGraph() {
        ModelFamily family = ModelFamily.load(TINY);
        assertThat(family.files()).extracting(p -> p.getFileName().toString()).containsExactly(
                "family.json", "tokenizer.json", "text_encoder.onnx", "image_encoder.onnx", "prior.onnx",
                "text_proj.onnx", "decoder.onnx", "sr_64.onnx", "sr_256.onnx");
    }
}
