package io.cryptun.noise.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Which backend {@code auto} picks and how a named backend that cannot run is refused, on the JVM
 * and system this runs on. The build's JDK 17 exercises the "no foreign function API" case;
 * {@link OpenSslOnNewerJdkTest} runs this class again on a newer JDK with libcrypto, and with the
 * library name pointing at nothing.
 */
class TransportCipherSelectionTest {
    /** Where Debian 12 (libssl3) puts libcrypto. */
    private static final Path DEBIAN_LIBCRYPTO = Path.of("/usr/lib/x86_64-linux-gnu/libcrypto.so.3");

    private static boolean libraryOverridden() {
        return !LibCrypto.library().equals(LibCrypto.DEFAULT_LIBRARY);
    }

    @Test
    void autoPicksOpensslExactlyWhereItIsAvailableAndTheJdkProviderOtherwise() {
        String expected = OpenSslTransportCipher.isAvailable() ? "openssl" : "jdk";
        assertEquals(expected, TransportCipher.create("auto").name());
        assertEquals(expected, TransportCipher.create(null).name());
    }

    @Test
    void beforeJdk22TheBackendIsUnavailableForWantOfTheForeignFunctionApi() {
        Assumptions.assumeTrue(Runtime.version().feature() < 22, "this JDK has java.lang.foreign");
        assertEquals("the openssl backend is not available: needs JDK 22 or later (java.lang.foreign); this is JDK "
                + Runtime.version().feature(), OpenSslTransportCipher.unavailableReason());
        assertEquals("jdk", TransportCipher.create("auto").name());
    }

    @Test
    void onJdk22WithLibcryptoInstalledTheBackendIsAvailable() {
        Assumptions.assumeTrue(Runtime.version().feature() >= 22, "JDK " + Runtime.version().feature());
        Assumptions.assumeTrue(Files.exists(DEBIAN_LIBCRYPTO) && !libraryOverridden(),
                "not Debian's libcrypto.so.3 (or another library named)");
        assertNull(OpenSslTransportCipher.unavailableReason());
        assertEquals("openssl", TransportCipher.create("openssl").name());
        assertEquals("openssl", TransportCipher.create("auto").name());
    }

    @Test
    void aMissingLibraryMakesTheBackendUnavailableAndAutoFallsBack() {
        Assumptions.assumeTrue(Runtime.version().feature() >= 22, "JDK " + Runtime.version().feature());
        Assumptions.assumeTrue(libraryOverridden() && !Files.exists(Path.of(LibCrypto.library())),
                "-D" + LibCrypto.LIBRARY_PROPERTY + " names no missing library");
        String reason = OpenSslTransportCipher.unavailableReason();
        assertTrue(reason != null && reason.startsWith("the openssl backend is not available: cannot use "
                + LibCrypto.library() + ": "), reason);
        assertEquals("jdk", TransportCipher.create("auto").name());
    }

    @Test
    void anUnavailableBackendNamedExplicitlyIsRefusedWithTheReason() {
        Assumptions.assumeFalse(OpenSslTransportCipher.isAvailable(), "the backend is available here");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TransportCipher.create("openssl"));
        assertEquals(OpenSslTransportCipher.unavailableReason(), e.getMessage());
    }

    @Test
    void theOtherBackendsStillWorkByName() {
        assertEquals("jdk", TransportCipher.create("jdk").name());
        assertEquals("bc", TransportCipher.create("bc").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransportCipher.create("rot13"));
        assertTrue(e.getMessage().contains("openssl"), e.getMessage());
    }
}
