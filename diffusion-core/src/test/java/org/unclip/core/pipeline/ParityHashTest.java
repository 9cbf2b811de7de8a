package org.unclip.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How FamilyParityTest hashes a family's files: streamed, external data included. */
class ParityHashTest {

    @Test
    void hashesInChunksAsAWhole(@TempDir Path dir) throws Exception {
        Path abc = dir.resolve("abc.onnx");
        Files.writeString(abc, "abc");
        assertThat(FamilyParityTest.sha256(abc))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        byte[] big = new byte[(3 << 20) + 12345];
        new Random(7).nextBytes(big);
        Path data = dir.resolve("decoder.onnx.data");
        Files.write(data, big);
        assertThat(FamilyParityTest.sha256(data))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big)));
    }

    @Test
    void findsTheExternalDataFiles(@TempDir Path dir) throws Exception {
        for (String name : new String[] {"prior.onnx", "prior.onnx.data", "decoder.onnx.data", "family.json", "x.data"}) {
            Files.writeString(dir.resolve(name), name);
        }
        assertThat(FamilyParityTest.externalDataFiles(dir)).containsExactly("decoder.onnx.data", "prior.onnx.data");
    }
}
