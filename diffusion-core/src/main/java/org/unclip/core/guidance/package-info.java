/** Classifier-free guidance over batches laid out as [uncond; cond]. */
package org.unclip.core.guidance;
