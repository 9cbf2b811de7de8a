package org.unclip.textencoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.TextEncoderServiceGrpc.TextEncoderServiceBlockingStub;

/**
 * Dynamic batching: calls that arrive together are encoded in one model call, and each gets
 * exactly what it gets alone.
 */
@QuarkusTest
class TextEncoderBatchingTest {

    @GrpcClient("self")
    TextEncoderServiceBlockingStub client;

    @Inject
    MeterRegistry registry;

    private EncodeTextResponse encode(String... prompts) {
        return client.withDeadlineAfter(30, TimeUnit.SECONDS)
                .encodeText(EncodeTextRequest.newBuilder().addAllPrompts(List.of(prompts)).build());
    }

    @Test
    void concurrentCallsShareAModelCall_andGetWhatTheyGetAlone() throws Exception {
        List<String[]> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            calls.add(i % 3 == 0
                    ? new String[] {"a small red circle " + i, "a blue square"}
                    : new String[] {"a large " + (i % 2 == 0 ? "green" : "purple") + " triangle at the top " + i});
        }
        List<EncodeTextResponse> alone = new ArrayList<>();
        for (String[] c : calls) {
            alone.add(encode(c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<EncodeTextResponse>> together = new ArrayList<>();
            for (String[] c : calls) {
                together.add(pool.submit(() -> {
                    start.await();
                    return encode(c);
                }));
            }
            start.countDown();
            for (int i = 0; i < calls.size(); i++) {
                assertThat(together.get(i).get(30, TimeUnit.SECONDS).getConditional())
                        .as("call %d together vs alone", i).isEqualTo(alone.get(i).getConditional());
            }
        } finally {
            pool.shutdownNow();
        }
        DistributionSummary batch = registry.find("unclip.stage.batch.size").tag("loop", "text_encoder").summary();
        assertThat(batch).isNotNull();
        assertThat(batch.max()).as("prompts of several calls in one model call").isGreaterThan(2);
    }
}
