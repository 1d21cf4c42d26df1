package io.cryptun.tun;

/** Turns errno values from the TUN and interface calls into messages that say what to do. */
final class TunErrors {

    static final String DEVICE = "/dev/net/tun";

    private TunErrors() {
    }

    static String describe(int errno) {
        String text = null;
        try {
            text = LibC.INSTANCE.strerror(errno);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // fall through to the number alone
        }
        return (text == null || text.isEmpty() ? "error" : text) + " (errno " + errno + ")";
    }

    /** open("/dev/net/tun") failed. */
    static TunException openDevice(int errno) {
        String msg;
        switch (errno) {
            case Linux.ENOENT:
            case Linux.ENODEV:
            case Linux.ENXIO:
                msg = DEVICE + ": " + describe(errno)
                        + "; load the tun module or run in a container with /dev/net/tun";
                break;
            case Linux.EACCES:
            case Linux.EPERM:
                msg = DEVICE + ": " + describe(errno)
                        + "; the process needs read/write access to /dev/net/tun and CAP_NET_ADMIN";
                break;
            default:
                msg = DEVICE + ": " + describe(errno);
        }
        return new TunException(msg, errno);
    }

    /** ioctl(TUNSETIFF) failed for the requested name. */
    static TunException createDevice(String name, int errno) {
        String msg;
        switch (errno) {
            case Linux.EPERM:
            case Linux.EACCES:
                msg = "creating TUN device " + name + " needs CAP_NET_ADMIN: " + describe(errno);
                break;
            case Linux.EBUSY:
                msg = "TUN device name " + name + " is in use: another file descriptor is attached to it"
                        + " (only multi-queue devices can be opened more than once): " + describe(errno);
                break;
            case Linux.EINVAL:
                msg = "cannot create TUN device " + name + ": an interface with that name exists and is not a TUN"
                        + " device with the same flags (multi-queue, vnet header), or the name is invalid: "
                        + describe(errno);
                break;
            default:
                msg = "cannot create TUN device " + name + ": " + describe(errno);
        }
        return new TunException(msg, errno);
    }

    /** A read, write or control call on an open device failed. */
    static TunException io(String name, String operation, int errno) {
        if (errno == Linux.EBADFD) {
            return new TunException("TUN device " + name + " was detached (its interface was deleted?): "
                    + operation + " failed: " + describe(errno), errno);
        }
        String hint = "";
        if (errno == Linux.EIO) {
            hint = " (is the interface down?)";
        } else if (errno == Linux.ENODEV || errno == Linux.ENXIO) {
            hint = " (the interface no longer exists)";
        }
        return new TunException(operation + " on TUN device " + name + " failed: " + describe(errno) + hint, errno);
    }

    /** Checks a requested interface name the way the kernel's dev_valid_name() does, and returns its bytes. */
    static byte[] validateName(String name) throws TunException {
        if (name == null || name.isEmpty()) {
            throw new TunException("invalid TUN device name: empty (use e.g. \"tun%d\" to let the kernel choose)");
        }
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length > Linux.IFNAMSIZ - 1) {
            throw new TunException("invalid TUN device name \"" + name + "\": " + bytes.length
                    + " bytes, at most " + (Linux.IFNAMSIZ - 1) + " allowed");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new TunException("invalid TUN device name \"" + name + "\"");
        }
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
                throw new TunException("invalid TUN device name \"" + name
                        + "\": must not contain '/', ':', whitespace or control characters");
            }
        }
        return bytes;
    }
}
