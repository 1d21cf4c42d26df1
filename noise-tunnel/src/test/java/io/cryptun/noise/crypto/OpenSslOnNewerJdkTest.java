package io.cryptun.noise.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Jdks;
import io.cryptun.testkit.JUnitFork;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build runs on JDK 17, where the openssl backend cannot exist: this runs its tests on the
 * newest JDK 22+ installed (Temurin 25 here) and requires that they passed there, not merely that
 * nothing failed (a backend that stopped loading would turn them into skips).
 */
class OpenSslOnNewerJdkTest {
    private static final String WHY = "the openssl backend (java.lang.foreign) is then only tested as unavailable";

    @Test
    void theOpensslBackendPassesItsTestsOnJdk22OrLater() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        Class<?> vectors = Class.forName("io.cryptun.noise.handshake.NoiseVectorsTest");
        Class<?> deviceHandshakes = Class.forName("io.cryptun.noise.device.DeviceHandshakeTest");
        Class<?> prepared = Class.forName("io.cryptun.noise.device.PreparedHandshakesTest");
        JUnitFork.Result r = JUnitFork.run(java, List.of("--enable-native-access=ALL-UNNAMED"),
                OpenSslTransportCipherTest.class, TransportCipherSelectionTest.class, OpenSslX25519Test.class,
                vectors, deviceHandshakes, prepared);
        assertEquals(0, r.exitCode(), r.output());
        for (String test : List.of("autoUsesLibcryptoExactlyWhereItIsAvailable",
                "whateverTheBackendItReproducesRfc7748",
                "theDaemonsChoiceFollowsItsCipherSoThatOnlyOpensslLoadsLibcrypto",
                "publicKeysAndAgreementsEqualBouncyCastlesForRandomKeys",
                "lowOrderPeerKeysAreRefusedAsBouncyCastleRefusesThem",
                "keysOfAnotherLengthAreRefusedWithAClearErrorAndNoSecretStays",
                "moreThreadsThanPooledScratchesAgreeConcurrently",
                "aKeptStaticKeyAgreesAsBouncyCastleAgreesWithPeerAfterPeer")) {
            assertEquals("SUCCESSFUL", r.outcome(OpenSslX25519Test.class, test), test + "\n" + r.output());
        }
        // handshakes made with work done ahead and the kept static key, libcrypto's X25519 doing the DH
        assertTrue(r.outcomes().entrySet().stream().filter(e -> e.getKey().startsWith(prepared.getName() + "#"))
                .allMatch(e -> e.getValue().equals("SUCCESSFUL"))
                && r.outcomes().keySet().stream().filter(k -> k.startsWith(prepared.getName() + "#")).count() >= 8,
                r.output());
        // the Noise test vectors and the device's handshakes, with libcrypto's X25519 doing the DH
        assertEquals("SUCCESSFUL", r.outcome(vectors, "reproducesVector"), r.output());
        long deviceTests = r.outcomes().entrySet().stream()
                .filter(e -> e.getKey().startsWith(deviceHandshakes.getName() + "#")).count();
        assertTrue(deviceTests >= 5 && r.outcomes().entrySet().stream()
                .filter(e -> e.getKey().startsWith(deviceHandshakes.getName() + "#"))
                .allMatch(e -> e.getValue().equals("SUCCESSFUL")), r.output());
        for (String test : List.of("sealsExactlyAsTheJdkAndBouncyCastleDoAndOpensTheirs",
                "refusesTamperedPacketsAndLeavesTheBufferAsItWas",
                "oneCipherServesManyKeysInTurnAndPacketsBeyondItsScratch",
                "destroyingTheKeyFreesItsContextAndNothingIsProtectedWithItAfterwards",
                "threadsSharingOneKeyEachWithTheirOwnCipherAgreeWithTheJdk")) {
            assertEquals("SUCCESSFUL", r.outcome(OpenSslTransportCipherTest.class, test), test + "\n" + r.output());
        }
        for (String test : List.of("autoPicksOpensslExactlyWhereItIsAvailableAndTheJdkProviderOtherwise",
                "onJdk22WithLibcryptoInstalledTheBackendIsAvailable")) {
            assertEquals("SUCCESSFUL", r.outcome(TransportCipherSelectionTest.class, test), test + "\n" + r.output());
        }
    }

    @Test
    void withLibcryptoMissingAutoFallsBackAndOpensslIsRefused() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        JUnitFork.Result r = JUnitFork.run(java, List.of("--enable-native-access=ALL-UNNAMED",
                        "-D" + LibCrypto.LIBRARY_PROPERTY + "=libcryptun-test-absent.so.0"),
                TransportCipherSelectionTest.class, OpenSslX25519Test.class);
        assertEquals(0, r.exitCode(), r.output());
        // X25519 falls back to Bouncy Castle's, and agreements still meet
        for (String test : List.of("autoUsesLibcryptoExactlyWhereItIsAvailable",
                "whateverTheBackendItReproducesRfc7748")) {
            assertEquals("SUCCESSFUL", r.outcome(OpenSslX25519Test.class, test), test + "\n" + r.output());
        }
        for (String test : List.of("autoPicksOpensslExactlyWhereItIsAvailableAndTheJdkProviderOtherwise",
                "aMissingLibraryMakesTheBackendUnavailableAndAutoFallsBack",
                "anUnavailableBackendNamedExplicitlyIsRefusedWithTheReason")) {
            assertEquals("SUCCESSFUL", r.outcome(TransportCipherSelectionTest.class, test), test + "\n" + r.output());
        }
    }
}
