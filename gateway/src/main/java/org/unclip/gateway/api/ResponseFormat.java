package org.unclip.gateway.api;

import java.util.Arrays;
import java.util.Optional;

/** How generated images come back: inline base64 or a URL served by the gateway. */
public enum ResponseFormat {
    B64_JSON("b64_json"),
    URL("url");

    private final String wireName;

    ResponseFormat(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<ResponseFormat> fromWireName(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }
}
