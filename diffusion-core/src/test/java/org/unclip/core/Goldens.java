package org.unclip.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.unclip.core.tensor.Tensor;

/**
 * Golden arrays dumped by {@code src/test/python/make_goldens.py} (torch 1.13 and the project's
 * Python reference): "name d0,d1,..." then the values.
 */
public final class Goldens {

    private final Map<String, Tensor> arrays;

    private Goldens(Map<String, Tensor> arrays) {
        this.arrays = arrays;
    }

    public static Goldens load(String resource) {
        try (InputStream in = Goldens.class.getResourceAsStream("/golden/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /golden/" + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Map<String, Tensor> arrays = new LinkedHashMap<>();
            String header;
            while ((header = r.readLine()) != null) {
                String[] h = header.split(" ");
                long[] shape = Arrays.stream(h[1].split(",")).mapToLong(Long::parseLong).toArray();
                String[] values = r.readLine().trim().split(" ");
                float[] data = new float[values.length];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) Double.parseDouble(values[i]);
                }
                arrays.put(h[0], new Tensor(shape, data));
            }
            return new Goldens(arrays);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Tensor get(String name) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no golden '" + name + "'; have " + arrays.keySet());
        }
        return t;
    }

    /** The values as ints (timesteps). */
    public int[] ints(String name) {
        float[] d = get(name).data();
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }
}
