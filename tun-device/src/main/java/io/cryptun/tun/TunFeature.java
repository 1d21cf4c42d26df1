package io.cryptun.tun;

import java.util.EnumSet;
import java.util.Set;

/** Interface flags the kernel's TUN driver reports as supported (ioctl TUNGETFEATURES). */
public enum TunFeature {
    TUN(0x0001),
    TAP(0x0002),
    NAPI(0x0010),
    NAPI_FRAGS(0x0020),
    MULTI_QUEUE(0x0100),
    NO_PI(0x1000),
    ONE_QUEUE(0x2000),
    VNET_HDR(0x4000);

    private final int flag;

    TunFeature(int flag) {
        this.flag = flag;
    }

    /** The IFF_* bit. */
    public int flag() {
        return flag;
    }

    static Set<TunFeature> fromFlags(int flags) {
        Set<TunFeature> set = EnumSet.noneOf(TunFeature.class);
        for (TunFeature f : values()) {
            if ((flags & f.flag) != 0) {
                set.add(f);
            }
        }
        return set;
    }
}
