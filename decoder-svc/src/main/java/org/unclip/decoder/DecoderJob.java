package org.unclip.decoder;

import org.unclip.core.pipeline.DecoderPipeline;

/**
 * A checked decoder request.
 *
 * @param size side of the images to return
 * @param previews whether progress events carry a PNG of image 0's x0 prediction
 */
record DecoderJob(DecoderPipeline.Request request, int size, boolean previews) {}
