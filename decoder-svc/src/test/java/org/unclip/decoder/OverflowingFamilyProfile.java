package org.unclip.decoder;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serves a copy of the test family whose cfg_image_embedding is so large that text_proj overflows to
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
            String broken = json.replaceFirst("\"cfg_image_embedding\"\\s*:\\s*\\[[^\\]]*\\]", "\"cfg_image_embedding\": [" + huge + "]");
            if (broken.equals(json)) {
                throw new IllegalStateException("family.json has no cfg_image_embedding to replace");
            }
            Files.writeString(dir.resolve("family.json"), broken);
            dir.toFile().deleteOnExit();
            return Map.of("unclip.family.dir", dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
