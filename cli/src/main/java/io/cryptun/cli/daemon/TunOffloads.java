package io.cryptun.cli.daemon;

import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunException;
import io.cryptun.tun.TunOffload;
import io.cryptun.tun.TunOptions;
import io.cryptun.tun.offload.VirtioNetHeader;
import java.util.EnumSet;

/**
 * Opens the TUN device with virtio-net headers and TCP segmentation/checksum offload where the
 * kernel allows it (as wireguard-go does on Linux): reads then carry up to 64 KiB super-packets
 * that are split in userspace, and writes merge a burst's TCP segments back, so one syscall
 * moves dozens of packets. UDP segmentation (USO) is asked for as well, and left out if refused.
 */
public final class TunOffloads {
    private TunOffloads() {
    }

    /** Opens {@code name} with offloads when {@code wanted}, falling back to plain packets. */
    public static TunDevice open(String name, boolean wanted) throws TunException {
        if (!wanted) {
            return TunDevice.open(name);
        }
        TunDevice tun;
        try {
            tun = TunDevice.open(name, TunOptions.defaults().withVnetHeader(true));
        } catch (TunException e) {
            if (e.errno() == 22) {
                return TunDevice.open(name);
            }
            throw e;
        }
        try {
            tun.setVnetHeaderSize(VirtioNetHeader.SIZE);
            EnumSet<TunOffload> all = EnumSet.of(TunOffload.CSUM, TunOffload.TSO4, TunOffload.TSO6,
                    TunOffload.USO4, TunOffload.USO6);
            if (!tun.trySetOffload(all)) {
                all.removeAll(EnumSet.of(TunOffload.USO4, TunOffload.USO6));
                tun.trySetOffload(all);
            }
        } catch (TunException | RuntimeException e) {
            tun.close();
            throw e;
        }
        return tun;
    }
}
