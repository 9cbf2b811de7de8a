/**
 * The only package that talks to ONNX Runtime: {@link org.unclip.core.onnx.OnnxModel} and the adapters
 * that plug a family's graphs into the pipelines.
 */
package org.unclip.core.onnx;
