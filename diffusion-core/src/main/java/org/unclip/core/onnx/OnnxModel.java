package org.unclip.core.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * One ONNX graph behind one long-lived ONNX Runtime session.
 *
 * <p>Inputs are {@link Tensor} (float32), {@link LongTensor} (int64) or {@link BoolTensor} (bool),
 * checked by name, type, rank and fixed extents before anything reaches the runtime; every output
 * must be float32 and comes back as a {@link Tensor}. {@link #run} may be called from many threads
 * at once (the runtime's {@code Run} is thread-safe); {@link #close} waits for running calls.
 */
public final class OnnxModel implements AutoCloseable {

    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final Map<String, TensorInfo> inputs;
    private final Map<String, TensorInfo> outputs;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final LongAdder calls = new LongAdder();
    private final LongAdder runtimeNanos = new LongAdder();
    private boolean closed;

    private OnnxModel(Path file, OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session)
            throws OrtException {
        this.file = file;
        this.env = env;
        this.options = options;
        this.session = session;
        this.inputs = tensorInfos(session.getInputInfo(), "input");
        this.outputs = tensorInfos(session.getOutputInfo(), "output");
    }

    /**
     * Loads a graph into a new session on the CPU.
     *
     * @param intraOpThreads threads one call may use inside an operator; 0 lets the runtime decide
     */
    public static OnnxModel load(Path onnxFile, int intraOpThreads) {
        return load(onnxFile, intraOpThreads, ExecutionProvider.CPU);
    }

    /**
     * Loads a graph into a new session that runs on the given execution provider.
     *
     * @param intraOpThreads threads one call may use inside an operator; 0 lets the runtime decide
     * @throws OnnxModelException when the provider is not available (CUDA with the CPU-only ONNX
     *     Runtime artifact, or without an NVIDIA GPU and driver): there is no fallback to the CPU
     */
    public static OnnxModel load(Path onnxFile, int intraOpThreads, ExecutionProvider provider) {
        if (!Files.isRegularFile(onnxFile)) {
            throw new OnnxModelException("ONNX model file not found: " + onnxFile.toAbsolutePath());
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (intraOpThreads != 1) {
                // A session with its own thread pool: idle pool threads sleep instead of spinning.
                // Four processes share the cores, and a spinning thread takes a core from the other
                // lane's call (bench/latency: prior loop 26 -> 16 ms, sr_256 97 -> 76 ms per image).
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            if (provider instanceof ExecutionProvider.Cuda cuda) {
                addCuda(options, cuda, onnxFile);
            }
            OrtSession session = env.createSession(onnxFile.toString(), options);
            try {
                return new OnnxModel(onnxFile, env, options, session);
            } catch (OrtException | RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException | RuntimeException e) {
            options.close();
            if (e instanceof OnnxModelException ome) {
                throw ome;
            }
            throw new OnnxModelException("cannot load ONNX model " + onnxFile + ": " + e.getMessage(), e);
        }
    }

    private static void addCuda(OrtSession.SessionOptions options, ExecutionProvider.Cuda cuda, Path onnxFile) {
        try {
            options.addCUDA(cuda.device());
        } catch (OrtException e) {
            throw new OnnxModelException("execution provider cuda requested but ONNX Runtime cannot use CUDA device "
                    + cuda.device() + " for " + onnxFile.getFileName() + " (" + e.getMessage()
                    + "; providers in this build: " + OrtEnvironment.getAvailableProviders() + "); build the GPU "
                    + "variant (mvn -Pgpu, which ships com.microsoft.onnxruntime:onnxruntime_gpu, in an image with the "
                    + "CUDA 12 and cuDNN 9 libraries) and run on a node with an NVIDIA GPU and its driver, or set "
                    + "unclip.onnx.execution-provider=cpu", e);
        }
    }

    private Map<String, TensorInfo> tensorInfos(Map<String, NodeInfo> nodes, String kind) {
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (NodeInfo node : nodes.values()) {
            ValueInfo info = node.getInfo();
            if (!(info instanceof TensorInfo ti)) {
                throw new OnnxModelException(file.getFileName() + ": " + kind + " '" + node.getName()
                        + "' is not a tensor (" + info + ")");
            }
            out.put(node.getName(), ti);
        }
        return Collections.unmodifiableMap(out);
    }

    public Path file() {
        return file;
    }

    /** Input names, in graph order. */
    public List<String> inputNames() {
        return List.copyOf(inputs.keySet());
    }

    /** Output names, in graph order. */
    public List<String> outputNames() {
        return List.copyOf(outputs.keySet());
    }

    /** Declared shape of an input; -1 marks a dynamic axis. */
    public long[] inputShape(String name) {
        return info(inputs, name, "input").getShape();
    }

    /** Element type of an input: {@code float32}, {@code int64} or {@code bool} (or another ONNX type's name). */
    public String inputType(String name) {
        return typeName(info(inputs, name, "input").type);
    }

    /** Declared shape of an output; -1 marks a dynamic axis. */
    public long[] outputShape(String name) {
        return info(outputs, name, "output").getShape();
    }

    private TensorInfo info(Map<String, TensorInfo> map, String name, String kind) {
        TensorInfo ti = map.get(name);
        if (ti == null) {
            throw new IllegalArgumentException(file.getFileName() + " has no " + kind + " '" + name
                    + "'; it has " + map.keySet());
        }
        return ti;
    }

    /** The inputs as {@code name dtype[shape]}, for error messages. */
    public String describeInputs() {
        return describe(inputs);
    }

    private static String describe(Map<String, TensorInfo> infos) {
        List<String> parts = new ArrayList<>();
        infos.forEach((name, ti) -> parts.add(name + " " + typeName(ti.type) + Arrays.toString(ti.getShape())));
        return String.join(", ", parts);
    }

    private static String typeName(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> "float32";
            case INT64 -> "int64";
            case BOOL -> "bool";
            default -> type.name().toLowerCase();
        };
    }

    /**
     * Runs the graph once.
     *
     * @param inputs every graph input by name: a {@link Tensor}, {@link LongTensor} or {@link BoolTensor}
     * @return every graph output by name
     * @throws IllegalArgumentException when an input is missing, unknown, or of the wrong type or shape
     * @throws OnnxModelException when the runtime fails
     */
    public Map<String, Tensor> run(Map<String, ?> inputs) {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException(file.getFileName() + " is closed");
            }
            checkInputs(inputs);
            Map<String, OnnxTensor> feed = new HashMap<>();
            try {
                for (Map.Entry<String, ?> e : inputs.entrySet()) {
                    feed.put(e.getKey(), toOnnx(e.getValue()));
                }
                long start = System.nanoTime();
                try (OrtSession.Result result = session.run(feed)) {
                    runtimeNanos.add(System.nanoTime() - start);
                    calls.increment();
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    for (Map.Entry<String, OnnxValue> e : result) {
                        out.put(e.getKey(), toTensor(e.getKey(), e.getValue()));
                    }
                    return out;
                }
            } catch (OrtException e) {
                throw new OnnxModelException(file.getFileName() + " failed: " + e.getMessage(), e);
            } finally {
                feed.values().forEach(OnnxTensor::close);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Calls {@link #run} has made so far. */
    public long calls() {
        return calls.sum();
    }

    /** Nanoseconds spent inside the runtime's {@code Run} so far, summed over threads. */
    public long runtimeNanos() {
        return runtimeNanos.sum();
    }

    private void checkInputs(Map<String, ?> given) {
        for (String name : inputs.keySet()) {
            if (!given.containsKey(name)) {
                throw new IllegalArgumentException(file.getFileName() + ": missing input '" + name
                        + "'; expected inputs: " + describeInputs());
            }
        }
        for (Map.Entry<String, ?> e : given.entrySet()) {
            TensorInfo expected = inputs.get(e.getKey());
            if (expected == null) {
                throw new IllegalArgumentException(file.getFileName() + ": unknown input '" + e.getKey()
                        + "'; expected inputs: " + describeInputs());
            }
            Object v = e.getValue();
            OnnxJavaType type;
            long[] shape;
            if (v instanceof Tensor t) {
                type = OnnxJavaType.FLOAT;
                shape = t.shape();
            } else if (v instanceof LongTensor t) {
                type = OnnxJavaType.INT64;
                shape = t.shape();
            } else if (v instanceof BoolTensor t) {
                type = OnnxJavaType.BOOL;
                shape = t.shape();
            } else {
                throw new IllegalArgumentException(file.getFileName() + ": input '" + e.getKey()
                        + "' must be a Tensor, LongTensor or BoolTensor, got "
                        + (v == null ? "null" : v.getClass().getName()));
            }
            long[] want = expected.getShape();
            boolean shapeOk = want.length == shape.length;
            for (int i = 0; shapeOk && i < want.length; i++) {
                shapeOk = want[i] < 0 || want[i] == shape[i];
            }
            if (type != expected.type || !shapeOk) {
                throw new IllegalArgumentException(file.getFileName() + ": input '" + e.getKey() + "' is "
                        + typeName(type) + Arrays.toString(shape) + " but the graph expects "
                        + typeName(expected.type) + Arrays.toString(want) + " (-1 = any)");
            }
        }
    }

    private OnnxTensor toOnnx(Object value) throws OrtException {
        if (value instanceof Tensor t) {
            FloatBuffer buf = ByteBuffer.allocateDirect(t.size() * Float.BYTES)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            buf.put(t.data()).rewind();
            return OnnxTensor.createTensor(env, buf, t.shape());
        }
        if (value instanceof LongTensor t) {
            LongBuffer buf = ByteBuffer.allocateDirect(t.size() * Long.BYTES)
                    .order(ByteOrder.nativeOrder()).asLongBuffer();
            buf.put(t.data()).rewind();
            return OnnxTensor.createTensor(env, buf, t.shape());
        }
        BoolTensor t = (BoolTensor) value;
        ByteBuffer buf = ByteBuffer.allocateDirect(t.size()).order(ByteOrder.nativeOrder());
        for (boolean b : t.data()) {
            buf.put((byte) (b ? 1 : 0));
        }
        buf.rewind();
        return OnnxTensor.createTensor(env, buf, t.shape(), OnnxJavaType.BOOL);
    }

    private Tensor toTensor(String name, OnnxValue value) {
        if (!(value instanceof OnnxTensor ot) || ot.getInfo().type != OnnxJavaType.FLOAT) {
            throw new OnnxModelException(file.getFileName() + ": output '" + name
                    + "' is not a float32 tensor (" + value.getInfo() + ")");
        }
        FloatBuffer fb = ot.getFloatBuffer();
        float[] data = new float[fb.remaining()];
        fb.get(data);
        return Tensor.wrap(data, ot.getInfo().getShape());
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                session.close();
            } catch (OrtException e) {
                throw new OnnxModelException("cannot close " + file.getFileName() + ": " + e.getMessage(), e);
            } finally {
                options.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + file.getFileName() + ": " + describeInputs() + " -> " + describe(outputs) + "]";
    }
}
