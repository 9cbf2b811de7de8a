/** Immutable float32, int64 and bool tensors: the values every other package passes around. */
package org.unclip.core.tensor;
