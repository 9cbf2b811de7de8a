package org.unclip.gateway.stages;

import io.grpc.Metadata;
import java.util.Optional;

/**
 * The model family a stage replica serves, as it names it on every call: {@code unclip-family}
 * (the name in its {@code family.json}) and {@code unclip-family-hash} (SHA-256 of the family's
 * files), in the response headers or, for a call that ended at once, in its trailers. A call pinned
 * to a family sends them back as {@code unclip-expect-family} and {@code unclip-expect-family-hash}.
 */
public record StageFamily(String name, String hash) {

    static final Metadata.Key<String> FAMILY = Metadata.Key.of("unclip-family", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> FAMILY_HASH =
            Metadata.Key.of("unclip-family-hash", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> EXPECT_FAMILY =
            Metadata.Key.of("unclip-expect-family", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> EXPECT_FAMILY_HASH =
            Metadata.Key.of("unclip-expect-family-hash", Metadata.ASCII_STRING_MARSHALLER);

    public StageFamily {
        if (name == null || name.isEmpty() || hash == null || hash.isEmpty()) {
            throw new IllegalArgumentException("a model family needs a name and a hash");
        }
    }

    /** The family named in a response's headers or trailers, if it names one. */
    static Optional<StageFamily> named(Metadata headers, Metadata trailers) {
        for (Metadata m : new Metadata[] {headers, trailers}) {
            if (m != null && m.get(FAMILY) != null && m.get(FAMILY_HASH) != null
                    && !m.get(FAMILY).isEmpty() && !m.get(FAMILY_HASH).isEmpty()) {
                return Optional.of(new StageFamily(m.get(FAMILY), m.get(FAMILY_HASH)));
            }
        }
        return Optional.empty();
    }

    /** The request metadata of a call pinned to this family. */
    Metadata expectation() {
        Metadata m = new Metadata();
        m.put(EXPECT_FAMILY, name);
        m.put(EXPECT_FAMILY_HASH, hash);
        return m;
    }

    @Override
    public String toString() {
        return name + " (sha256 " + hash.substring(0, Math.min(12, hash.length())) + ")";
    }
}
