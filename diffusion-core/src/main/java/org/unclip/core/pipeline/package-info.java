/**
 * The written-out sampling loops of the prior and of the decoder with its upsamplers, behind
 * functional model seams.
 */
package org.unclip.core.pipeline;
