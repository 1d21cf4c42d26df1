package io.cryptun.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("netns")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetnsExtensionTest {

    private static final List<Netns> CREATED = new ArrayList<>();

    @RegisterExtension
    final NetnsExtension netns = new NetnsExtension();

    @Test
    @Order(1)
    void createsNamespaces() {
        Netns a = netns.create("cttun");
        CREATED.add(a);
        assertTrue(Files.exists(a.path()));
    }

    @Test
    @Order(2)
    void previousTestsNamespacesAreGone() {
        NetnsAssumptions.assumeNetns();
        assertFalse(CREATED.isEmpty());
        for (Netns ns : CREATED) {
            assertTrue(ns.isClosed());
            assertFalse(Files.exists(ns.path()), ns.name());
        }
    }

    @AfterAll
    static void noneLeft() {
        for (Netns ns : CREATED) {
            assertFalse(Files.exists(ns.path()), ns.name());
        }
    }
}
