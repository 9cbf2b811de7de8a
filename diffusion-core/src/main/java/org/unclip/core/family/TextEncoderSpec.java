package org.unclip.core.family;

import java.nio.file.Path;

/** The CLIP text encoder graph. */
public record TextEncoderSpec(Path graph) {}
