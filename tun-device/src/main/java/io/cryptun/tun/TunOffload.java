package io.cryptun.tun;

import java.util.Set;

/** Offloads a vnet-header TUN device can accept from the kernel (ioctl TUNSETOFFLOAD, TUN_F_* bits). */
public enum TunOffload {
    /** The kernel may hand over packets with partial checksums. */
    CSUM(0x01),
    TSO4(0x02),
    TSO6(0x04),
    TSO_ECN(0x08),
    UFO(0x10),
    /** UDP segmentation offload, kernel 6.2 and later. */
    USO4(0x20),
    USO6(0x40);

    private final int flag;

    TunOffload(int flag) {
        this.flag = flag;
    }

    /** The TUN_F_* bit. */
    public int flag() {
        return flag;
    }

    static int toFlags(Set<TunOffload> offloads) {
        int flags = 0;
        for (TunOffload o : offloads) {
            flags |= o.flag;
        }
        return flags;
    }
}
