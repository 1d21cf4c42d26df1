package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** errno-to-message mapping and name validation; needs no privileges. */
class TunErrorsTest {

    @Test
    void missingDeviceSaysHowToGetIt() {
        TunException e = TunErrors.openDevice(Linux.ENOENT);
        assertEquals("/dev/net/tun: No such file or directory (errno 2); load the tun module or run in a container"
                + " with /dev/net/tun", e.getMessage());
        assertEquals(Linux.ENOENT, e.errno());
    }

    @Test
    void permissionErrorsNameCapNetAdmin() {
        TunException e = TunErrors.createDevice("wg0", Linux.EPERM);
        assertTrue(e.getMessage().startsWith("creating TUN device wg0 needs CAP_NET_ADMIN"), e.getMessage());
        assertTrue(e.getMessage().contains("Operation not permitted"), e.getMessage());
        assertTrue(TunErrors.openDevice(Linux.EACCES).getMessage().contains("Permission denied"));
    }

    @Test
    void busyAndInvalidNamesAreExplained() {
        assertTrue(TunErrors.createDevice("wg0", Linux.EBUSY).getMessage()
                .startsWith("TUN device name wg0 is in use"));
        assertTrue(TunErrors.createDevice("eth0", Linux.EINVAL).getMessage()
                .contains("exists and is not a TUN device"));
    }

    @Test
    void ioErrorsCarryHints() {
        assertTrue(TunErrors.io("t0", "read", Linux.EBADFD).getMessage().contains("detached"));
        assertTrue(TunErrors.io("t0", "write", Linux.EIO).getMessage().contains("down"));
        assertTrue(TunErrors.io("t0", "SIOCGIFMTU", Linux.ENODEV).getMessage().contains("no longer exists"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sixteen-bytes-xx", "a/b", "a:b", "a b", "tab\there", ".", "..", "nul\u0000x",
        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"})
    void invalidNamesAreRejectedBeforeAnySystemCall(String name) {
        TunException e = assertThrows(TunException.class, () -> TunDevice.open(name));
        assertTrue(e.getMessage().startsWith("invalid TUN device name"), e.getMessage());
        assertEquals(0, e.errno());
    }

    @Test
    void nullNameIsInvalid() {
        assertThrows(TunException.class, () -> TunDevice.open(null));
    }

    @Test
    void fifteenByteNamesPass() throws TunException {
        assertEquals(15, TunErrors.validateName("fifteen-bytes-x").length);
        assertEquals(5, TunErrors.validateName("tun%d").length);
    }
}
