package org.unclip.core.onnx;

import java.util.Locale;

/**
 * Where ONNX Runtime runs a graph: the CPU (the default, and the only provider of the
 * {@code com.microsoft.onnxruntime:onnxruntime} artifact) or one NVIDIA GPU through the CUDA
 * execution provider (the {@code onnxruntime_gpu} artifact, Maven profile {@code gpu}).
 *
 * <p>A session that asks for CUDA and cannot have it fails to load; it never falls back to the CPU.
 */
public sealed interface ExecutionProvider {

    /** The provider's name as written in {@code unclip.onnx.execution-provider}. */
    String name();

    /** ONNX Runtime's default CPU execution provider. */
    record Cpu() implements ExecutionProvider {
        @Override
        public String name() {
            return "cpu";
        }

        @Override
        public String toString() {
            return "cpu";
        }
    }

    /** ONNX Runtime's CUDA execution provider on the GPU with this CUDA device id. */
    record Cuda(int device) implements ExecutionProvider {
        public Cuda {
            if (device < 0) {
                throw new IllegalArgumentException("unclip.onnx.cuda-device must be >= 0, got " + device);
            }
        }

        @Override
        public String name() {
            return "cuda";
        }

        /** {@code cuda:<device>}, as the stages log it. */
        @Override
        public String toString() {
            return "cuda:" + device;
        }
    }

    ExecutionProvider CPU = new Cpu();

    /**
     * Reads the settings {@code unclip.onnx.execution-provider} ({@code cpu} or {@code cuda}, any
     * case) and {@code unclip.onnx.cuda-device} (used by {@code cuda} only).
     *
     * @throws IllegalArgumentException for any other provider name, or a negative CUDA device
     */
    static ExecutionProvider of(String name, int cudaDevice) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "cpu" -> CPU;
            case "cuda" -> new Cuda(cudaDevice);
            default -> throw new IllegalArgumentException(
                    "unclip.onnx.execution-provider must be 'cpu' or 'cuda', got '" + name + "'");
        };
    }
}
