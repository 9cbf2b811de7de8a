package org.unclip.prior;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serves a copy of the test family whose clip_std is so large that denormalising overflows to
 * infinity: the graphs are the real ones (linked), only family.json differs.
 */
public class OverflowingFamilyProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path source = TestRequests.familyDir();
            Path dir = Files.createTempDirectory("overflowing-family");
            try (DirectoryStream<Path> files = Files.newDirectoryStream(source)) {
                for (Path f : files) {
                    if (!f.getFileName().toString().equals("family.json")) {
                        Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
                    }
                }
            }
            String json = Files.readString(source.resolve("family.json"));
            String huge = "3.0e38, ".repeat(TestRequests.family().embeddingDim() - 1) + "3.0e38";
            String broken = json.replaceFirst("\"clip_std\"\\s*:\\s*\\[[^\\]]*\\]", "\"clip_std\": [" + huge + "]");
            if (broken.equals(json)) {
                throw new IllegalStateException("family.json has no clip_std to replace");
            }
            Files.writeString(dir.resolve("family.json"), broken);
            dir.toFile().deleteOnExit();
            return Map.of("unclip.family.dir", dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
