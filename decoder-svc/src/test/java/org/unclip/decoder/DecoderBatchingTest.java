package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderServiceGrpc.DecoderServiceBlockingStub;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.core.family.ModelFamily;

/**
 * Step-level batching across calls, over real gRPC with the family's graphs: a request gives
 * byte-identical PNGs alone and among 15 other concurrent requests with other seeds, step counts,
 * guidance scales and sizes; cancelling one call leaves the others running.
 */
@QuarkusTest
class DecoderBatchingTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    @GrpcClient("self")
    DecoderServiceBlockingStub client;

    @Inject
    MeterRegistry registry;

    private List<byte[]> pngs(DecoderRequest request) {
        List<DecoderEvent> events = new ArrayList<>();
        client.withDeadlineAfter(300, TimeUnit.SECONDS).generateImages(request).forEachRemaining(events::add);
        DecoderEvent last = events.get(events.size() - 1);
        assertThat(last.hasResult()).isTrue();
        return last.getResult().getImagesList().stream().map(GeneratedImage::getPng).map(b -> b.toByteArray()).toList();
    }

    /** The request under test: two images, the whole cascade. */
    private static DecoderRequest probe() {
        return TestRequests.valid(FAMILY, 7001, 7002).setDecoderSteps(6).setUpsamplerSteps(3).setGuidanceScale(3f)
                .setSize(FAMILY.largestOutputSize()).build();
    }

    /** Other traffic: every kind of difference a batch can hold. */
    private static DecoderRequest other(int i) {
        List<Integer> sizes = FAMILY.outputSizes();
        return TestRequests.valid(FAMILY, 100 + i)
                .setDecoderSteps(2 + i % 6)
                .setUpsamplerSteps(2 + i % 3)
                .setGuidanceScale(i % 3 == 0 ? 1f : 2f + i % 4)
                .setSize(sizes.get(i % sizes.size()))
                .setPreviews(i % 2 == 0)
                .build();
    }

    private double largestBatch() {
        DistributionSummary batch = registry.find("unclip.stage.batch.size").tag("loop", "decoder").summary();
        return batch == null ? 0 : batch.max();
    }

    @Test
    void aRequestGivesTheSamePngsAloneAndAmongFifteenOthers() throws Exception {
        List<byte[]> alone = pngs(probe());

        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<List<byte[]>>> others = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                DecoderRequest r = other(i);
                others.add(pool.submit(() -> pngs(r)));
            }
            Thread.sleep(150); // the probe joins a batch already running
            Future<List<byte[]>> loaded = pool.submit(() -> pngs(probe()));
            List<byte[]> underLoad = loaded.get(300, TimeUnit.SECONDS);
            for (Future<List<byte[]>> f : others) {
                assertThat(f.get(300, TimeUnit.SECONDS)).isNotEmpty();
            }
            assertThat(underLoad).hasSameSizeAs(alone);
            for (int i = 0; i < alone.size(); i++) {
                assertThat(underLoad.get(i)).as("image %d alone vs among 15 others", i).isEqualTo(alone.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(largestBatch()).as("the requests really shared batches").isGreaterThan(2);
    }

    @Test
    void cancellingOneCallLeavesTheOthersRunning() throws Exception {
        List<byte[]> expected = pngs(other(4));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Context.CancellableContext cancellable = Context.current().withCancellation();
            Callable<Status> cancelled = () -> cancellable.call(() -> {
                Iterator<DecoderEvent> events = client.withDeadlineAfter(300, TimeUnit.SECONDS)
                        .generateImages(TestRequests.valid(FAMILY, 9) .setDecoderSteps(200).build());
                try {
                    events.next();
                    cancellable.cancel(null);
                    while (events.hasNext()) {
                        events.next();
                    }
                    return Status.OK;
                } catch (StatusRuntimeException e) {
                    return e.getStatus();
                }
            });
            Future<Status> first = pool.submit(cancelled);
            Thread.sleep(100);
            Future<List<byte[]>> second = pool.submit(() -> pngs(other(4)));
            assertThat(first.get(300, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
            List<byte[]> got = second.get(300, TimeUnit.SECONDS);
            assertThat(got).hasSameSizeAs(expected);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i)).isEqualTo(expected.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
