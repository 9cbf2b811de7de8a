package org.unclip.textencoder;

import java.nio.file.Path;

/** The family the tests run against: the one the test profile serves. */
final class TestFamily {

    private TestFamily() {}

    static Path dir() {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        return root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
    }
}
