package org.unclip.gateway.stages;

import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.api.ChannelBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcClientConfiguration;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * Makes the {@code list} name resolver ({@link AddressListNameResolver}) known before Quarkus
 * builds the stage clients' channels: the customizer is created, and so registers it, before any
 * channel is built.
 */
@Singleton
@Unremovable
class StageAddressLists implements ChannelBuilderCustomizer<NettyChannelBuilder> {

    StageAddressLists() {
        AddressListNameResolver.register();
    }

    @Override
    public Map<String, Object> customize(String name, GrpcClientConfiguration config, NettyChannelBuilder builder) {
        return Map.of();
    }
}
