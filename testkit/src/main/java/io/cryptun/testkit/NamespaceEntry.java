package io.cryptun.testkit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Moves the calling thread into a network namespace with setns(2). Linux keeps the network namespace per
 * thread, so only that one thread moves; callers use a fresh thread that ends afterwards.
 */
final class NamespaceEntry {

    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;

    private interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int setns(int fd, int nstype) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private NamespaceEntry() {
    }

    static void enterNetworkNamespace(String nsFile) {
        LibC libc = Holder.LIBC;
        int fd;
        try {
            fd = libc.open(nsFile, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IllegalStateException("cannot open " + nsFile + ": " + e.getMessage(), e);
        }
        try {
            libc.setns(fd, CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw new IllegalStateException("setns(" + nsFile + ") failed: " + e.getMessage(), e);
        } finally {
            libc.close(fd);
        }
    }
}
