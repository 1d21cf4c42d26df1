package io.cryptun.tun;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

/**
 * Interface-mapped libc calls for setup and control paths. ioctl is variadic, which only JNA's interface mapping
 * calls correctly; the per-packet calls are in {@link NativeIo}.
 */
interface LibC extends Library {

    LibC INSTANCE = Native.load("c", LibC.class);

    int open(String path, int flags) throws LastErrorException;

    int close(int fd);

    /** {@code args} is one Pointer (for struct arguments) or one NativeLong (for by-value arguments). */
    int ioctl(int fd, NativeLong request, Object... args) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int eventfd(int initval, int flags) throws LastErrorException;

    int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;

    int bind(int fd, com.sun.jna.Pointer addr, int addrlen) throws LastErrorException;

    String strerror(int errnum);
}
