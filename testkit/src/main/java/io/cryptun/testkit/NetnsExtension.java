package io.cryptun.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that removes every namespace a test created, even when the test throws:
 * <pre>{@code
 * @RegisterExtension
 * final NetnsExtension netns = new NetnsExtension();
 *
 * @Test
 * void test() {
 *     Netns a = netns.create("cttun"); // skips the test where namespaces are unavailable
 * }
 * }</pre>
 * An instance field is cleaned after each test; a static field after each test and after the class.
 */
public final class NetnsExtension implements AfterEachCallback, AfterAllCallback {

    private final NetnsSet set = new NetnsSet();

    /** {@link NetnsAssumptions#assumeNetns()}, then creates a namespace that is removed after the test. */
    public Netns create(String prefix) {
        NetnsAssumptions.assumeNetns();
        return set.create(prefix);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        set.close();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        set.close();
    }
}
