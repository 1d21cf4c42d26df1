package io.cryptun.tun;

/**
 * How to open a TUN device. The default is a plain single-queue {@code IFF_TUN | IFF_NO_PI} device: every read
 * and write is exactly one IP packet.
 */
public final class TunOptions {

    private static final TunOptions DEFAULTS = new TunOptions(false, false);

    private final boolean multiQueue;
    private final boolean vnetHeader;

    private TunOptions(boolean multiQueue, boolean vnetHeader) {
        this.multiQueue = multiQueue;
        this.vnetHeader = vnetHeader;
    }

    public static TunOptions defaults() {
        return DEFAULTS;
    }

    /**
     * {@code IFF_MULTI_QUEUE}: the device may be opened several times (see {@link TunDevice#openQueue()}), each
     * file descriptor being one queue; the kernel spreads outgoing flows across queues.
     */
    public TunOptions withMultiQueue(boolean on) {
        return new TunOptions(on, vnetHeader);
    }

    /**
     * {@code IFF_VNET_HDR}: every packet read or written is preceded by a {@code struct virtio_net_hdr} (10 bytes
     * by default) describing checksum and segmentation offload. Needed for {@link TunDevice#trySetOffload}.
     */
    public TunOptions withVnetHeader(boolean on) {
        return new TunOptions(multiQueue, on);
    }

    public boolean multiQueue() {
        return multiQueue;
    }

    public boolean vnetHeader() {
        return vnetHeader;
    }

    int ifreqFlags() {
        int flags = Linux.IFF_TUN | Linux.IFF_NO_PI;
        if (multiQueue) {
            flags |= Linux.IFF_MULTI_QUEUE;
        }
        if (vnetHeader) {
            flags |= Linux.IFF_VNET_HDR;
        }
        return flags;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunOptions && ((TunOptions) o).multiQueue == multiQueue
                && ((TunOptions) o).vnetHeader == vnetHeader;
    }

    @Override
    public int hashCode() {
        return (multiQueue ? 1 : 0) + (vnetHeader ? 2 : 0);
    }

    @Override
    public String toString() {
        return "TunOptions[multiQueue=" + multiQueue + ", vnetHeader=" + vnetHeader + "]";
    }
}
