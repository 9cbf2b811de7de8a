/** Noise schedules (betas, alphas, their cumulative product) and timestep spacing. */
package org.unclip.core.schedule;
