import ai.onnxruntime.*;

import java.io.*;
import java.nio.*;
import java.nio.file.*;
import java.util.*;

/**
 * Runs exported graphs with ONNX Runtime (Java) on raw little-endian tensors listed in a manifest
 * written by unclip_training/ort_check.py, and writes the outputs back as raw float32 files.
 * Manifest lines: "graph PATH" starts a case; "in NAME DTYPE D0,D1,.. FILE"; "out NAME FILE"; "run".
 * Usage: java -cp onnxruntime-1.23.2.jar OrtCheck.java MANIFEST
 */
public class OrtCheck {
    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(1);
        OrtSession session = null;
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        Map<String, String> outputs = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            String[] p = line.trim().split(" ");
            switch (p[0]) {
                case "graph" -> {
                    if (session != null) session.close();
                    session = env.createSession(p[1], so);
                }
                case "in" -> {
                    long[] shape = Arrays.stream(p[3].split(",")).mapToLong(Long::parseLong).toArray();
                    byte[] raw = Files.readAllBytes(Paths.get(p[4]));
                    ByteBuffer bb = ByteBuffer.allocateDirect(raw.length).order(ByteOrder.nativeOrder());
                    bb.put(raw).flip();
                    OnnxTensor t = switch (p[2]) {
                        case "float32" -> OnnxTensor.createTensor(env, bb.asFloatBuffer(), shape);
                        case "int64" -> OnnxTensor.createTensor(env, bb.asLongBuffer(), shape);
                        case "bool" -> OnnxTensor.createTensor(env, bb, shape, OnnxJavaType.BOOL);
                        default -> throw new IllegalArgumentException(p[2]);
                    };
                    inputs.put(p[1], t);
                }
                case "out" -> outputs.put(p[1], p[2]);
                case "run" -> {
                    try (OrtSession.Result r = session.run(inputs)) {
                        for (Map.Entry<String, String> e : outputs.entrySet()) {
                            OnnxTensor t = (OnnxTensor) r.get(e.getKey()).orElseThrow();
                            FloatBuffer fb = t.getFloatBuffer();
                            ByteBuffer out = ByteBuffer.allocate(fb.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
                            out.asFloatBuffer().put(fb);
                            Files.write(Paths.get(e.getValue()), out.array());
                        }
                    }
                    for (OnnxTensor t : inputs.values()) t.close();
                    inputs.clear();
                    outputs.clear();
                }
                default -> { }
            }
        }
        if (session != null) session.close();
        System.out.println("ok");
    }
}
