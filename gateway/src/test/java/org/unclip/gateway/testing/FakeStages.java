package org.unclip.gateway.testing;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.api.v1.Progress;
import org.unclip.api.v1.Tensor;
import org.unclip.api.v1.TextEncoderServiceGrpc;
import org.unclip.api.v1.TextEncoding;

/**
 * Small stand-ins for the three stage services, each a real gRPC server on a random loopback
 * port, built on the generated stubs. They check the shapes the gateway sends, answer tensors of
 * the right shapes, and fail on request where a test needs them to:
 *
 * <ul>
 *   <li>prompt containing "unknown-word": text encoder answers INVALID_ARGUMENT
 *   <li>prompt containing "flaky": text encoder answers UNAVAILABLE once per prompt, then works
 *   <li>prompt containing "offline": text encoder always answers UNAVAILABLE
 *   <li>prior steps outside [2, 200] (0 = default): prior answers INVALID_ARGUMENT
 *   <li>decoder guidance scale 99: decoder answers INTERNAL
 *   <li>decoder steps 942: decoder answers an image too few
 *   <li>decoder steps 943: the decoder is at capacity (RESOURCE_EXHAUSTED) for the first three
 *       calls of each seed list, then works; refusals are counted in {@link #decoderRefusals}
 *   <li>prior steps 150 or prior guidance scale 77: the prior is slow (150 steps of 50 ms, 7.5 s in
 *       all), stops as soon as its call is cancelled and counts that in {@link #priorCancellations}
 *   <li>every stage names the model family {@link FakeFamilies#NAME} and refuses calls pinned to
 *       another; {@link #families} scripts replicas of another family
 *   <li>decoder previews requested: every decoder progress event carries a small PNG (8 px, one
 *       colour per step)
 * </ul>
 *
 * Every prompt the text encoder sees is recorded in {@link #prompts}; its {@code text_embeds} row
 * for a prompt is {@link #textEmbedding}. The prior accepts a text of batch 1 or one row per seed
 * and answers {@link #priorEmbedding} of the row and the seed. EncodeImage answers {@link
 * #imageEmbedding} of each PNG input and INVALID_ARGUMENT for anything else (also for a PNG 11 pixels
 * wide), UNIMPLEMENTED (no image encoder) for a PNG 13 pixels wide; it counts its calls in
 * {@link #imageEncoderCalls}. Prior calls are counted in {@link #priorCalls}.
 *
 * Decoded images are solid squares of the requested size whose colour comes from the seed.
 */
public final class FakeStages implements AutoCloseable {

    static final int D = 4;
    static final int L = 3;
    static final int W = 2;

    private final Server textEncoder;
    private final Server prior;
    private final Server decoder;

    public final AtomicInteger textEncoderCalls = new AtomicInteger();
    public final AtomicInteger imageEncoderCalls = new AtomicInteger();
    public final AtomicInteger priorCalls = new AtomicInteger();
    public volatile org.unclip.api.v1.EncodeImageRequest lastImageRequest;
    public final AtomicInteger priorCancellations = new AtomicInteger();
    /** Slow prior calls now in progress. */
    public final AtomicInteger slowPriorCalls = new AtomicInteger();
    public final java.util.List<String> prompts = new java.util.concurrent.CopyOnWriteArrayList<>();
    public volatile EncodeTextRequest lastTextRequest;
    public volatile PriorRequest lastPriorRequest;
    public volatile DecoderRequest lastDecoderRequest;
    private final Map<String, AtomicInteger> flakyCalls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> busyCalls = new ConcurrentHashMap<>();
    public final AtomicInteger decoderRefusals = new AtomicInteger();
    /** The model family each stage names, and what the calls expected; see {@link FakeFamilies}. */
    public final FakeFamilies families = new FakeFamilies();

    public FakeStages() throws IOException {
        // Bound through the AsyncService interfaces rather than the ImplBase classes, which Quarkus
        // would discover in the test index and serve itself.
        textEncoder = start(ServerInterceptors.intercept(
                TextEncoderServiceGrpc.bindService(new FakeTextEncoder()), families.stage("text-encoder")));
        prior = start(ServerInterceptors.intercept(PriorServiceGrpc.bindService(new FakePrior()), families.stage("prior")));
        decoder = start(ServerInterceptors.intercept(
                DecoderServiceGrpc.bindService(new FakeDecoder()), families.stage("decoder")));
    }

    public int textEncoderPort() {
        return textEncoder.getPort();
    }

    public int priorPort() {
        return prior.getPort();
    }

    public int decoderPort() {
        return decoder.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        for (Server server : new Server[] {textEncoder, prior, decoder}) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Server start(ServerServiceDefinition service) throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service)
                .build()
                .start();
    }

    /** A [shape] tensor filled with {@code value}. */
    static Tensor tensor(float value, long... shape) {
        long count = 1;
        for (long s : shape) {
            count *= s;
        }
        ByteBuffer data = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            data.putFloat(value);
        }
        Tensor.Builder t = Tensor.newBuilder().setData(ByteString.copyFrom(data.array()));
        for (long s : shape) {
            t.addShape(s);
        }
        return t.build();
    }

    /** The fake text encoder's {@code text_embeds} row for a prompt: a unit vector drawn from it. */
    public static float[] textEmbedding(String prompt) {
        return vector(new java.util.Random(0x7e47L * 31 + prompt.hashCode()), 1.0);
    }

    /** The fake image encoder's embedding of an image: a unit vector drawn from its bytes. */
    public static float[] imageEmbedding(byte[] png) {
        return vector(new java.util.Random(0x1a9eL * 31 + java.util.Arrays.hashCode(png)), 1.0);
    }

    /**
     * The fake prior's sample for a text embedding and a seed: a vector of length 1.2 (not a unit
     * vector, as a real prior's need not be), drawn from both.
     */
    public static float[] priorEmbedding(float[] textEmbeds, long seed) {
        return vector(new java.util.Random(java.util.Arrays.hashCode(textEmbeds) * 1_000_003L ^ seed), 1.2);
    }

    private static float[] vector(java.util.Random random, double length) {
        double[] v = new double[D];
        double n = 0;
        for (int i = 0; i < D; i++) {
            v[i] = random.nextGaussian();
            n += v[i] * v[i];
        }
        float[] out = new float[D];
        for (int i = 0; i < D; i++) {
            out[i] = (float) (v[i] / Math.sqrt(n) * length);
        }
        return out;
    }

    /** A [rows, D] tensor. */
    static Tensor matrix(java.util.List<float[]> rows) {
        ByteBuffer data = ByteBuffer.allocate(rows.size() * D * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
            for (float x : row) {
                data.putFloat(x);
            }
        }
        return Tensor.newBuilder().addShape(rows.size()).addShape(D).setData(ByteString.copyFrom(data.array())).build();
    }

    /** The rows of a [B, D] tensor. */
    public static float[][] rows(Tensor t) {
        java.nio.FloatBuffer f = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[][] out = new float[(int) t.getShape(0)][(int) t.getShape(1)];
        for (float[] row : out) {
            f.get(row);
        }
        return out;
    }

    static TextEncoding encoding(java.util.List<String> prompts) {
        java.util.List<float[]> rows = new java.util.ArrayList<>();
        for (String prompt : prompts) {
            rows.add(textEmbedding(prompt));
        }
        int batch = prompts.size();
        return TextEncoding.newBuilder()
                .setTextEmbeds(matrix(rows))
                .setLastHiddenState(tensor(0.25f, batch, L, W))
                .setAttentionMask(tensor(1f, batch, L))
                .build();
    }

    static TextEncoding encoding(int batch) {
        return TextEncoding.newBuilder()
                .setTextEmbeds(tensor(0.5f, batch, D))
                .setLastHiddenState(tensor(0.25f, batch, L, W))
                .setAttentionMask(tensor(1f, batch, L))
                .build();
    }

    static byte[] png(int size, long seed) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = image.createGraphics();
        g.setColor(new Color((int) (seed & 0xFFFFFF)));
        g.fillRect(0, 0, size, size);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private final class FakeTextEncoder implements TextEncoderServiceGrpc.AsyncService {
        @Override
        public void encodeText(EncodeTextRequest request, StreamObserver<EncodeTextResponse> response) {
            textEncoderCalls.incrementAndGet();
            lastTextRequest = request;
            prompts.addAll(request.getPromptsList());
            for (int i = 0; i < request.getPromptsCount(); i++) {
                String prompt = request.getPrompts(i);
                if (prompt.contains("unknown-word")) {
                    response.onError(
                            Status.INVALID_ARGUMENT
                                    .withDescription("prompts[" + i + "] contains words outside the vocabulary: unknown-word")
                                    .asRuntimeException());
                    return;
                }
                if (prompt.contains("offline")) {
                    response.onError(Status.UNAVAILABLE.withDescription("text encoder is restarting").asRuntimeException());
                    return;
                }
                if (prompt.contains("flaky") && flakyCalls.computeIfAbsent(prompt, p -> new AtomicInteger()).getAndIncrement() == 0) {
                    response.onError(Status.UNAVAILABLE.withDescription("text encoder is warming up").asRuntimeException());
                    return;
                }
            }
            response.onNext(
                    EncodeTextResponse.newBuilder()
                            .setConditional(encoding(request.getPromptsList()))
                            .setUnconditional(encoding(1))
                            .build());
            response.onCompleted();
        }

        @Override
        public void encodeImage(
                org.unclip.api.v1.EncodeImageRequest request, StreamObserver<org.unclip.api.v1.EncodeImageResponse> response) {
            imageEncoderCalls.incrementAndGet();
            lastImageRequest = request;
            for (int i = 0; i < request.getImagesCount(); i++) {
                ByteString image = request.getImages(i);
                if (image.size() < 8 || image.byteAt(1) != 'P' || image.byteAt(2) != 'N' || image.byteAt(3) != 'G') {
                    response.onError(Status.INVALID_ARGUMENT.withDescription("images[" + i + "] is not a PNG or JPEG").asRuntimeException());
                    return;
                }
                int width = image.size() >= 24 ? image.substring(16, 20).asReadOnlyByteBuffer().getInt() : -1;
                if (width == 11) {
                    response.onError(Status.INVALID_ARGUMENT.withDescription("images[" + i + "] cannot be decoded").asRuntimeException());
                    return;
                }
                if (width == 13) {
                    response.onError(Status.UNIMPLEMENTED.withDescription("family shapes-untrained has no image encoder").asRuntimeException());
                    return;
                }
            }
            java.util.List<float[]> embeds = new java.util.ArrayList<>();
            for (ByteString image : request.getImagesList()) {
                embeds.add(imageEmbedding(image.toByteArray()));
            }
            response.onNext(
                    org.unclip.api.v1.EncodeImageResponse.newBuilder()
                            .setImageEmbeds(matrix(embeds))
                            .build());
            response.onCompleted();
        }
    }

    private final class FakePrior implements PriorServiceGrpc.AsyncService {
        @Override
        public void generateEmbeddings(PriorRequest request, StreamObserver<PriorEvent> response) {
            priorCalls.incrementAndGet();
            lastPriorRequest = request;
            int steps = request.getSteps() == 0 ? 3 : request.getSteps();
            if (steps < 2 || steps > 200) {
                response.onError(
                        Status.INVALID_ARGUMENT
                                .withDescription("steps must be in [2, 200], got " + request.getSteps())
                                .asRuntimeException());
                return;
            }
            long textBatch = request.getText().getTextEmbeds().getShape(0);
            if (request.getSeedsCount() == 0 || textBatch != 1 && textBatch != request.getSeedsCount()) {
                response.onError(
                        Status.INVALID_ARGUMENT.withDescription("expected seeds and a text of batch 1 or one per seed").asRuntimeException());
                return;
            }
            if (steps == 150 || request.getGuidanceScale() == 77f) {
                slow(150, (io.grpc.stub.ServerCallStreamObserver<PriorEvent>) response);
                return;
            }
            for (int i = 1; i <= steps; i++) {
                response.onNext(
                        PriorEvent.newBuilder()
                                .setProgress(Progress.newBuilder().setStage("prior").setStep(i).setTotalSteps(steps))
                                .build());
            }
            float[][] text = rows(request.getText().getTextEmbeds());
            java.util.List<float[]> embeds = new java.util.ArrayList<>();
            for (int i = 0; i < request.getSeedsCount(); i++) {
                embeds.add(priorEmbedding(text[textBatch == 1 ? 0 : i], request.getSeeds(i)));
            }
            response.onNext(
                    PriorEvent.newBuilder()
                            .setResult(PriorResult.newBuilder().setImageEmbeds(matrix(embeds)))
                            .build());
            response.onCompleted();
        }
    }

    /** Steps slowly until the client cancels the call; never answers a result otherwise. */
    private void slow(int steps, io.grpc.stub.ServerCallStreamObserver<PriorEvent> response) {
        java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
        response.setOnCancelHandler(
                () -> {
                    cancelled.set(true);
                    priorCancellations.incrementAndGet();
                });
        slowPriorCalls.incrementAndGet();
        try {
            for (int i = 1; i <= steps && !cancelled.get() && !response.isCancelled(); i++) {
                response.onNext(
                        PriorEvent.newBuilder()
                                .setProgress(Progress.newBuilder().setStage("prior").setStep(i).setTotalSteps(steps))
                                .build());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!cancelled.get()) {
                response.onError(Status.DEADLINE_EXCEEDED.withDescription("the slow prior gave up").asRuntimeException());
            }
        } finally {
            slowPriorCalls.decrementAndGet();
        }
    }

    private final class FakeDecoder implements DecoderServiceGrpc.AsyncService {
        @Override
        public void generateImages(DecoderRequest request, StreamObserver<DecoderEvent> response) {
            lastDecoderRequest = request;
            if (request.getGuidanceScale() == 99f) {
                response.onError(Status.INTERNAL.withDescription("ONNX Runtime failed: out of memory").asRuntimeException());
                return;
            }
            if (request.getDecoderSteps() == 943
                    && busyCalls.computeIfAbsent(request.getSeedsList().toString(), k -> new AtomicInteger())
                            .getAndIncrement() < 3) {
                decoderRefusals.incrementAndGet();
                response.onError(Status.RESOURCE_EXHAUSTED.withDescription("decoder is at capacity").asRuntimeException());
                return;
            }
            int n = request.getSeedsCount();
            if (request.getImageEmbeds().getShapeCount() != 2 || request.getImageEmbeds().getShape(0) != n) {
                response.onError(
                        Status.INVALID_ARGUMENT
                                .withDescription("image_embeds must be [" + n + ", " + D + "], got " + request.getImageEmbeds().getShapeList())
                                .asRuntimeException());
                return;
            }
            for (int i = 1; i <= 2; i++) {
                Progress.Builder progress = Progress.newBuilder().setStage("decoder").setStep(i).setTotalSteps(2);
                if (request.getPreviews()) {
                    progress.setPreviewPng(ByteString.copyFrom(png(8, i == 1 ? 0x8FA3BF : 0x3D6FD1)));
                }
                response.onNext(DecoderEvent.newBuilder().setProgress(progress).build());
            }
            response.onNext(
                    DecoderEvent.newBuilder()
                            .setProgress(Progress.newBuilder().setStage("upsampler-1").setStep(1).setTotalSteps(1))
                            .build());
            int size = request.getSize() == 0 ? 256 : request.getSize();
            int count = request.getDecoderSteps() == 942 ? n - 1 : n;
            DecoderResult.Builder result = DecoderResult.newBuilder();
            for (int i = 0; i < count; i++) {
                long seed = request.getSeeds(i);
                result.addImages(
                        GeneratedImage.newBuilder()
                                .setPng(ByteString.copyFrom(png(size, seed)))
                                .setSeed(seed)
                                .setWidth(size)
                                .setHeight(size));
            }
            response.onNext(DecoderEvent.newBuilder().setResult(result).build());
            response.onCompleted();
        }
    }
}
