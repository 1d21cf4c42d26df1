package io.cryptun.tun;

/** Linux ABI numbers for x86_64/aarch64 (checked against bookworm's kernel headers, see docs/java-stack.md §6). */
final class Linux {

    private Linux() {
    }

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOCK_RAW = 3;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_NONBLOCK = 0x800;
    static final int AF_NETLINK = 16;
    static final int NETLINK_ROUTE = 0;
    /** Multicast group of link (interface) changes: new, deleted, up/down, MTU. */
    static final int RTMGRP_LINK = 0x1;

    static final short POLLIN = 0x1;

    static final int IFNAMSIZ = 16;
    static final int SIZEOF_IFREQ = 40;
    /** Offset of the ifreq union (ifr_flags, ifr_mtu). */
    static final int IFREQ_UNION = 16;

    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNGETFEATURES = 0x800454cfL;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final long SIOCGIFFLAGS = 0x8913L;
    static final long SIOCSIFFLAGS = 0x8914L;
    static final long SIOCGIFMTU = 0x8921L;
    static final long SIOCSIFMTU = 0x8922L;

    static final short IFF_UP = 0x1;
    static final int IFF_TUN = 0x0001;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_MULTI_QUEUE = 0x0100;
    static final int IFF_VNET_HDR = 0x4000;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EBADFD = 77;
    static final int ENOBUFS = 105;
}
