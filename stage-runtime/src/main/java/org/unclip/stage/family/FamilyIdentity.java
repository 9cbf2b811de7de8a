package org.unclip.stage.family;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.unclip.core.family.ModelFamily;

/**
 * Which model family a stage serves: its name from {@code family.json} and a content hash of the
 * files it is made of ({@link ModelFamily#files()}), so that two folders with the same name but
 * other weights differ too.
 *
 * <p>The hash is SHA-256, in lower-case hex, over each file in turn: its path relative to the
 * family folder (UTF-8), a zero byte, its length as 8 big-endian bytes, then its bytes. It does
 * not depend on where the folder lies, so every stage serving a copy of the same family reports the
 * same hash. The files are read in 64 KiB pieces, so a large family costs time, not memory.
 */
public record FamilyIdentity(String name, String hash) {

    public FamilyIdentity {
        if (name == null || name.isBlank() || hash == null || hash.isBlank()) {
            throw new IllegalArgumentException("a family identity needs a name and a hash");
        }
    }

    /** Hashes {@code family}'s files. */
    public static FamilyIdentity of(ModelFamily family) {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        for (Path file : family.files()) {
            String relative = family.dir().relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
            digest.update(relative.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            try (InputStream in = Files.newInputStream(file)) {
                digest.update(ByteBuffer.allocate(Long.BYTES).putLong(Files.size(file)).array());
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    digest.update(buffer, 0, n);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + " of model family " + family.name(), e);
            }
        }
        return new FamilyIdentity(family.name(), HexFormat.of().formatHex(digest.digest()));
    }

    /** The first 12 hex digits of the hash, for logs. */
    public String shortHash() {
        return hash.substring(0, Math.min(12, hash.length()));
    }

    @Override
    public String toString() {
        return name + " (sha256 " + shortHash() + ")";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
