package org.unclip.gateway.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The {@code list} scheme's authority, as Quarkus builds it from a client's host and port. */
class AddressListNameResolverTest {

    private static String show(java.util.List<InetSocketAddress> list) {
        return list.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList().toString();
    }

    @Test
    void entriesWithPortsKeepThem_andTheAppendedPortIsDropped() {
        assertThat(show(AddressListNameResolver.parse("127.0.0.1:9103,127.0.0.1:9203:9103")))
                .isEqualTo("[127.0.0.1:9103, 127.0.0.1:9203]");
    }

    @Test
    void entriesWithoutPortsTakeTheClientsPort() {
        assertThat(show(AddressListNameResolver.parse("decoder-a,decoder-b:9103")))
                .isEqualTo("[decoder-a:9103, decoder-b:9103]");
    }

    @Test
    void anEntryWithNoPortAnywhereIsAnError() {
        assertThatThrownBy(() -> AddressListNameResolver.parse("decoder-a,decoder-b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no port");
    }
}
