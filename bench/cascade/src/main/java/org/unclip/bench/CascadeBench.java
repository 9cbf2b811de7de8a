package org.unclip.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.Preset;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.onnx.OnnxDecoderStages;
import org.unclip.core.onnx.OnnxModel;
import org.unclip.core.onnx.OnnxPriorStage;
import org.unclip.core.pipeline.DecoderPipeline;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.core.pipeline.ProgressListener;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.Tensor;

/**
 * The whole cascade in one JVM, through diffusion-core on the family's ONNX graphs, laid out as
 * the services run it (one-thread ONNX sessions; the prior's and the decoder's rows cut over
 * {@code lanes} calls side by side; a call alone in its step on a {@code lanes}-thread session): prompt → text encoder → prior → decoder → upsamplers, one
 * image at a time. Prints one JSON object: seconds per image, and for each loop its wall time,
 * steps, model calls and time inside ONNX Runtime.
 *
 * <pre>
 * java -cp ... org.unclip.bench.CascadeBench FAMILY_DIR PROMPT SEED IMAGES [PRESET] [LANES] [THREADS]
 * </pre>
 */
public final class CascadeBench {

    private CascadeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: CascadeBench FAMILY_DIR PROMPT SEED IMAGES [PRESET] [LANES] [THREADS]");
            System.exit(2);
        }
        ModelFamily family = ModelFamily.load(Path.of(args[0]));
        String prompt = args[1];
        long seed = Long.parseLong(args[2]);
        int images = Integer.parseInt(args[3]);
        Preset preset = args.length > 4 ? Preset.fromConfig(args[4]) : family.defaultPreset();
        int lanes = args.length > 5 ? Integer.parseInt(args[5]) : 2;
        int threads = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        ExecutorService pool = Executors.newFixedThreadPool(lanes, r -> {
            Thread t = new Thread(r, "bench-lane");
            t.setDaemon(true);
            return t;
        });
        Executor executor = lanes == 1 ? Runnable::run : pool;
        int parts = lanes == 1 ? 1 : 2 * lanes;
        try (PromptEncoder text = new PromptEncoder(family, threads);
                OnnxPriorStage prior = OnnxPriorStage.load(family, threads);
                OnnxDecoderStages decoder = OnnxDecoderStages.load(family, threads, lanes)) {
            Cascade cascade = new Cascade(family, preset, text, prior, decoder, executor, parts);
            // warm-up (the JIT, every graph and shape), then the same work as measured
            for (int i = 0; i < 10; i++) {
                cascade.image(prompt, seed - 1 - i, null);
            }
            Map<String, Loop> loops = new LinkedHashMap<>();
            long start = System.nanoTime();
            for (int i = 0; i < images; i++) {
                cascade.image(prompt, seed + i, loops);
            }
            double perImage = (System.nanoTime() - start) / 1e9 / images;
            StringBuilder json = new StringBuilder();
            json.append(String.format(Locale.ROOT,
                    "{\"images\": %d, \"preset\": \"%s\", \"lanes\": %d, \"onnx_threads\": %d, \"s_per_image\": %.5f, \"loops\": {",
                    images, preset.configName(), lanes, threads, perImage));
            int k = 0;
            for (Map.Entry<String, Loop> e : loops.entrySet()) {
                Loop l = e.getValue();
                json.append(k++ == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                        "\"%s\": {\"wall_s\": %.5f, \"steps\": %d, \"calls\": %d, \"onnx_s\": %.5f, \"parts\": %d}",
                        e.getKey(), l.wallNanos / 1e9 / images, l.steps / images, l.calls / images,
                        l.onnxNanos / 1e9 / images, l.maxParts));
            }
            json.append("}}");
            System.out.println(json);
        } finally {
            pool.shutdownNow();
        }
    }

    /** What one loop took over the measured images (summed). */
    static final class Loop {
        long wallNanos;
        long steps;
        long calls;
        long onnxNanos;
        int maxParts;

        void add(long wall, long callsDelta, long onnxDelta) {
            wallNanos += wall;
            steps++;
            calls += callsDelta;
            onnxNanos += onnxDelta;
            maxParts = (int) Math.max(maxParts, callsDelta);
        }
    }

    /** One image through every stage, timing each loop by the graph it calls. */
    private record Cascade(ModelFamily family, Preset preset, PromptEncoder text, OnnxPriorStage prior,
            OnnxDecoderStages decoder, Executor executor, int parts) {

        void image(String prompt, long seed, Map<String, Loop> loops) {
            long t0 = System.nanoTime();
            OnnxModel encoder = text.model();
            long c0 = encoder.calls();
            long o0 = encoder.runtimeNanos();
            TextConditioning cond = text.encode(List.of(prompt));
            TextConditioning uncond = text.unconditional();
            record(loops, "text_encoder", System.nanoTime() - t0, encoder.calls() - c0, encoder.runtimeNanos() - o0);

            PriorPipeline.Request priorRequest = new PriorPipeline.Request(cond, uncond, List.of(seed),
                    family.prior().steps().forPreset(preset), family.prior().guidance().defaultScale(), preset);
            PriorPipeline.Run priorRun = prior.pipeline().start(priorRequest, ProgressListener.NONE);
            while (!priorRun.done()) {
                long s = System.nanoTime();
                long c = prior.model().calls();
                long o = prior.model().runtimeNanos();
                prior.pipeline().step(List.of(priorRun), CascadeBench::fail, executor, parts);
                record(loops, "prior", System.nanoTime() - s, prior.model().calls() - c,
                        prior.model().runtimeNanos() - o);
            }
            Tensor embedding = priorRun.result();

            List<Integer> upsamplerSteps = new ArrayList<>();
            int size = family.largestOutputSize();
            for (int i = 0; i < family.upsamplersFor(size); i++) {
                upsamplerSteps.add(family.upsamplers().get(i).steps().forPreset(preset));
            }
            DecoderPipeline.Request request = new DecoderPipeline.Request(embedding, cond, uncond, List.of(seed),
                    family.decoder().steps().forPreset(preset), family.decoder().guidance().defaultScale(),
                    upsamplerSteps, size, preset);
            long s0 = System.nanoTime();
            List<OnnxModel> models = decoder.models();
            long c0d = models.get(0).calls();
            long o0d = models.get(0).runtimeNanos();
            DecoderPipeline.Run run = decoder.pipeline().start(request, ProgressListener.NONE);
            record(loops, "text_proj", System.nanoTime() - s0, models.get(0).calls() - c0d,
                    models.get(0).runtimeNanos() - o0d);
            while (!run.done()) {
                String loop = run.stageName();
                List<OnnxModel> graphs = graphsOf(loop);
                long c = calls(graphs);
                long o = onnx(graphs);
                long s = System.nanoTime();
                decoder.pipeline().step(List.of(run), CascadeBench::fail, executor, parts);
                record(loops, loop, System.nanoTime() - s, calls(graphs) - c, onnx(graphs) - o);
            }
            if (run.result().batch() != 1) {
                throw new IllegalStateException("expected one image, got " + run.result());
            }
        }

        private List<OnnxModel> graphsOf(String loop) {
            List<Path> files = new ArrayList<>();
            if (loop.equals("decoder")) {
                files.add(family.decoder().graph());
            } else {
                for (int i = 0; i < family.upsamplers().size(); i++) {
                    UpsamplerSpec u = family.upsamplers().get(i);
                    if (loop.equals(StepProgress.upsampler(i))) {
                        files.add(u.graph());
                        u.graphLast().ifPresent(files::add);
                    }
                }
            }
            return decoder.models().stream().filter(m -> files.contains(m.file())).toList();
        }

        private static long calls(List<OnnxModel> graphs) {
            return graphs.stream().mapToLong(OnnxModel::calls).sum();
        }

        private static long onnx(List<OnnxModel> graphs) {
            return graphs.stream().mapToLong(OnnxModel::runtimeNanos).sum();
        }

        private static void record(Map<String, Loop> loops, String name, long wall, long calls, long onnx) {
            if (loops != null) {
                loops.computeIfAbsent(name, k -> new Loop()).add(wall, calls, onnx);
            }
        }
    }

    private static void fail(Object run, RuntimeException e) {
        throw e;
    }
}
