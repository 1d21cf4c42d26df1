package io.cryptun.tun;
// Placeholder until the tun-device module lands (being written in parallel); replaced by the real class.
import com.sun.jna.*;
import java.io.IOException;
public final class TunDevice implements java.io.Closeable {
    interface C extends Library { C I = Native.load("c", C.class);
        int open(String p, int f) throws LastErrorException; int ioctl(int fd, NativeLong req, byte[] arg) throws LastErrorException;
        int close(int fd); int read(int fd, byte[] b, NativeLong n) throws LastErrorException; int write(int fd, byte[] b, NativeLong n) throws LastErrorException;
        int socket(int a, int b, int c) throws LastErrorException; int poll(byte[] fds, int n, int t) throws LastErrorException; }
    private final int fd; private final String name; private volatile boolean closed;
    private TunDevice(int fd, String name) { this.fd = fd; this.name = name; }
    public static TunDevice open(String name) throws TunException {
        int fd;
        try { fd = C.I.open("/dev/net/tun", 2 | 0x80000 | 0x800); } catch (LastErrorException e) { throw new TunException("cannot open /dev/net/tun: errno " + e.getErrorCode()); }
        byte[] ifr = new byte[40]; byte[] n = name.getBytes(); System.arraycopy(n, 0, ifr, 0, n.length);
        ifr[16] = 0x01; ifr[17] = 0x10;
        try { C.I.ioctl(fd, new NativeLong(0x400454caL), ifr); } catch (LastErrorException e) { C.I.close(fd); throw new TunException("TUNSETIFF " + name + ": errno " + e.getErrorCode()); }
        int l = 0; while (l < 16 && ifr[l] != 0) l++;
        return new TunDevice(fd, new String(ifr, 0, l));
    }
    public String name() { return name; }
    public int mtu() throws IOException { return 1420; }
    public int read(byte[] buf, int off, int len) throws IOException {
        byte[] tmp = new byte[len];
        while (!closed) {
            byte[] pfd = new byte[8]; pfd[0]=(byte)fd; pfd[1]=(byte)(fd>>8); pfd[4]=1;
            int r = C.I.poll(pfd, 1, 200);
            if (r <= 0) continue;
            try { int n = C.I.read(fd, tmp, new NativeLong(len)); System.arraycopy(tmp, 0, buf, off, n); return n; }
            catch (LastErrorException e) { if (e.getErrorCode() == 11) continue; throw new IOException("read errno " + e.getErrorCode()); }
        }
        return -1;
    }
    public void write(byte[] buf, int off, int len) throws IOException {
        byte[] tmp = java.util.Arrays.copyOfRange(buf, off, off+len);
        try { C.I.write(fd, tmp, new NativeLong(len)); } catch (LastErrorException e) { throw new IOException("write errno " + e.getErrorCode()); }
    }
    public synchronized void close() throws IOException { if (!closed) { closed = true; try { Thread.sleep(300);} catch (InterruptedException e) {} C.I.close(fd); } }
}
