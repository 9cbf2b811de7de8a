/** Counter-based seeded noise: an image's noise depends on its seed, stage, step and element only. */
package org.unclip.core.noise;
