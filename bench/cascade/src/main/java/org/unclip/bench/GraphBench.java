package org.unclip.bench;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.unclip.core.onnx.OnnxModel;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * Milliseconds per call of one ONNX graph through the project's {@link OnnxModel}: at a given batch
 * (the dynamic first axis), with a given number of intra-op threads, and optionally as two calls
 * side by side on two threads. Inputs follow the graph's declared shapes: float inputs standard
 * normal, {@code timestep} 500, other int64 inputs small token ids, bool inputs true. Prints one
 * JSON object per line.
 *
 * <pre>
 * java -cp ... org.unclip.bench.GraphBench GRAPH.onnx BATCH THREADS SIDE_BY_SIDE(1|2) [CALLS]
 * java -cp ... org.unclip.bench.GraphBench GRAPH.onnx BATCH profile PREFIX
 * </pre>
 *
 * The second form runs the graph once, unoptimised, with ONNX Runtime's profiler on, and prints the
 * profile's path: its node events carry every operator's input and output shapes, from which
 * bench/graph_flops.py counts the call's FLOPs.
 *
 * With a square MatMul graph ({@code a [N,N] · b [N,N]}) this is the machine's reference peak.
 */
public final class GraphBench {

    private GraphBench() {}

    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: GraphBench GRAPH.onnx BATCH THREADS SIDE_BY_SIDE [CALLS]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]);
        if (args[2].equals("profile")) {
            System.out.println(profile(file, batch, args[3]));
            return;
        }
        int threads = Integer.parseInt(args[2]);
        int side = Integer.parseInt(args[3]);
        int calls = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        try (OnnxModel model = OnnxModel.load(file, threads)) {
            Map<String, Object> inputs = inputs(model, batch);
            for (int i = 0; i < 3; i++) {
                model.run(inputs);
            }
            long start = System.nanoTime();
            if (side == 1) {
                for (int i = 0; i < calls; i++) {
                    model.run(inputs);
                }
            } else {
                CompletableFuture<?>[] lanes = new CompletableFuture<?>[side];
                for (int l = 0; l < side; l++) {
                    lanes[l] = CompletableFuture.runAsync(() -> {
                        for (int i = 0; i < calls; i++) {
                            model.run(inputs);
                        }
                    }, r -> new Thread(r).start());
                }
                CompletableFuture.allOf(lanes).join();
            }
            double wallMs = (System.nanoTime() - start) / 1e6;
            System.out.printf(Locale.ROOT,
                    "{\"graph\": \"%s\", \"batch\": %d, \"threads\": %d, \"side_by_side\": %d, \"calls\": %d,"
                            + " \"ms_per_call\": %.4f, \"ms_per_call_wall\": %.4f}%n",
                    file.getFileName(), batch, threads, side, calls * side, wallMs / calls, wallMs / (calls * side));
        }
    }

    private static String profile(Path file, int batch, String prefix) {
        Map<String, Object> inputs;
        try (OnnxModel model = OnnxModel.load(file, 1)) {
            inputs = inputs(model, batch);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            options.setIntraOpNumThreads(1);
            options.enableProfiling(prefix);
            try (OrtSession session = env.createSession(file.toString(), options)) {
                Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Object> e : inputs.entrySet()) {
                        feed.put(e.getKey(), onnx(env, e.getValue()));
                    }
                    session.run(feed).close();
                } finally {
                    feed.values().forEach(OnnxTensor::close);
                }
                return session.endProfiling();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot profile " + file + ": " + e.getMessage(), e);
        }
    }

    private static OnnxTensor onnx(OrtEnvironment env, Object value) throws OrtException {
        if (value instanceof Tensor t) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), t.shape());
        }
        if (value instanceof LongTensor t) {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(t.data()), t.shape());
        }
        BoolTensor t = (BoolTensor) value;
        ByteBuffer bytes = ByteBuffer.allocateDirect(t.size());
        for (boolean b : t.data()) {
            bytes.put((byte) (b ? 1 : 0));
        }
        bytes.rewind();
        return OnnxTensor.createTensor(env, bytes, t.shape(), OnnxJavaType.BOOL);
    }

    private static Map<String, Object> inputs(OnnxModel model, int batch) {
        Random random = new Random(1);
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (String name : model.inputNames()) {
            long[] shape = model.inputShape(name);
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) {
                    shape[i] = i == 0 ? batch : 1;
                }
            }
            int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
            String type = model.inputType(name);
            if (type.equals("int64")) {
                long[] v = new long[size];
                Arrays.fill(v, name.equals("timestep") ? 500 : 3);
                inputs.put(name, LongTensor.of(v, shape));
            } else if (type.equals("bool")) {
                boolean[] v = new boolean[size];
                Arrays.fill(v, true);
                inputs.put(name, BoolTensor.of(v, shape));
            } else {
                float[] v = new float[size];
                for (int i = 0; i < size; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                inputs.put(name, Tensor.of(v, shape));
            }
        }
        return inputs;
    }
}
