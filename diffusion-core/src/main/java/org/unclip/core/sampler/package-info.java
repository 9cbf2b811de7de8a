/** Pure reverse-diffusion step rules (DDPM as diffusers' UnCLIPScheduler, DDIM); no hidden state. */
package org.unclip.core.sampler;
