package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stage services share no Quarkus module, so each holds its own copy of the classes that run
 * its gRPC server's lifecycle; the copies must stay the same apart from their package.
 */
class StageCopiesTest {

    private static final Path ROOT = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
    private static final List<String> CLASSES = List.of("ShutdownDrain.java", "ConnectionAge.java");
    private static final List<Path> COPIES = List.of(
            Path.of("decoder-svc/src/main/java/org/unclip/decoder"),
            Path.of("prior-svc/src/main/java/org/unclip/prior"),
            Path.of("text-encoder-svc/src/main/java/org/unclip/textencoder"));

    @Test
    void everyStageHoldsTheSameCopy() throws IOException {
        for (String name : CLASSES) {
            String reference = withoutPackage(COPIES.get(0).resolve(name));
            for (Path folder : COPIES.subList(1, COPIES.size())) {
                assertThat(withoutPackage(folder.resolve(name)))
                        .as("%s differs from %s", folder.resolve(name), COPIES.get(0).resolve(name))
                        .isEqualTo(reference);
            }
        }
    }

    private static String withoutPackage(Path relative) throws IOException {
        Path file = ROOT.resolve(relative);
        assertThat(file).isRegularFile();
        String text = Files.readString(file);
        assertThat(text).startsWith("package ");
        return text.substring(text.indexOf('\n'));
    }
}
