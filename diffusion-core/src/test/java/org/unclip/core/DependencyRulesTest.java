package org.unclip.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The module's dependency rules, checked on its sources. */
class DependencyRulesTest {

    private static final Path SOURCES = Path.of("src", "main", "java", "org", "unclip", "core");

    private static List<String> importsMatching(String prefix, String exceptPackage) throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (exceptPackage != null && f.getParent().equals(SOURCES.resolve(exceptPackage))) {
                    continue;
                }
                for (String line : Files.readAllLines(f)) {
                    if (line.startsWith("import " + prefix) || line.startsWith("import static " + prefix)) {
                        offenders.add(SOURCES.relativize(f) + ": " + line);
                    }
                }
            }
        }
        return offenders;
    }

    @Test
    void sourcesAreWhereTheRulesLook() {
        assertThat(SOURCES.resolve("onnx").resolve("OnnxModel.java")).exists();
    }

    @Test
    void onnxRuntimeStaysInTheOnnxPackage() throws IOException {
        assertThat(importsMatching("ai.onnxruntime", "onnx")).isEmpty();
    }

    @Test
    void samplingCodeDoesNotKnowAboutOnnx() throws IOException {
        assertThat(importsMatching("org.unclip.core.onnx", "onnx")).isEmpty();
    }

    @Test
    void theCoreKnowsNothingOfServicesOrFrameworks() throws IOException {
        for (String framework : List.of("io.grpc", "io.quarkus", "jakarta.", "org.unclip.api", "com.fasterxml",
                "com.google")) {
            assertThat(importsMatching(framework, null)).as(framework).isEmpty();
        }
    }
}
