package io.cryptun.noise.device;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.InitiationMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class TmpCostProbe {
    @Test
    void probe() throws Exception {
        Device d = Device.builder().inlineHandshakes(true).build();
        SecureRandom r = new SecureRandom();
        byte[] priv = X25519Keys.generatePrivate(r);
        d.setPrivateKey(priv);
        byte[] pub = d.publicKey();
        byte[] key = WireGuardNoise.labelKey(WireGuardNoise.LABEL_MAC1, pub);
        byte[][] msgs = new byte[1024][];
        for (int i = 0; i < msgs.length; i++) {
            byte[] m = new byte[InitiationMessage.SIZE];
            r.nextBytes(m);
            InitiationMessage.writeHeader(m, 0, i);
            Blake2s.mac(key, m, 0, InitiationMessage.OFF_MAC1, m, InitiationMessage.OFF_MAC1);
            if (i % 2 == 0 || Boolean.getBoolean("zeromac2")) java.util.Arrays.fill(m, InitiationMessage.OFF_MAC2, m.length, (byte) 0);
            msgs[i] = m;
        }
        long[] sent = new long[1];
        PacketSink sink = new PacketSink() {
            public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) { sent[0]++; return true; }
            public void writeTun(byte[] buf, int off, int len) { }
        };
        Worker w = new Worker(TransportCipher.create("jdk"));
        InetSocketAddress from = new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 40000);
        d.overrideUnderLoad(true);
        byte[] buf = new byte[2048];
        for (boolean zm : new boolean[] {true, false, true}) {
        System.out.println("zero mac2: " + zm);
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                byte[] m = msgs[zm ? (i & 1022) : (i & 1023)];
                System.arraycopy(m, 0, buf, 0, m.length);
                d.receive(w, buf, 0, m.length, from, sink);
            }
            long dt = System.nanoTime() - t0;
            System.out.printf("under load, valid mac1: %.2f us/datagram (%.0f/s), replies %d%n", dt / 1e3 / n, n * 1e9 / dt, sent[0]);
        }
        }
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                byte[] m = msgs[i & 1023];
                System.arraycopy(m, 0, buf, 0, m.length);
                buf[5] ^= 1;
                d.receive(w, buf, 0, m.length, from, sink);
            }
            long dt = System.nanoTime() - t0;
            System.out.printf("invalid mac1: %.2f us/datagram (%.0f/s)%n", dt / 1e3 / n, n * 1e9 / dt);
        }
    }
}
