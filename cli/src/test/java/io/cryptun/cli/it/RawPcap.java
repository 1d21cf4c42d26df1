package io.cryptun.cli.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A classic pcap file as tcpdump -w writes it, of any link type: the captured frames as bytes, searchable for a byte pattern. */
record RawPcap(List<byte[]> frames) {

    static RawPcap read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        if (b.remaining() < 24) {
            throw new IOException(file + " is not a pcap file (" + b.remaining() + " bytes)");
        }
        int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
        }
        b.position(24);
        List<byte[]> frames = new ArrayList<>();
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int captured = b.getInt();
            b.getInt();
            if (captured < 0 || captured > b.remaining()) {
                break; // cut short by the capture's end
            }
            byte[] f = new byte[captured];
            b.get(f);
            frames.add(f);
        }
        return new RawPcap(frames);
    }

    int packets() {
        return frames.size();
    }

    long payloadBytes() {
        long n = 0;
        for (byte[] f : frames) {
            n += f.length;
        }
        return n;
    }

    /**
     * How many frames hold any 8-byte window of the pattern repeated (ping -p repeats it, at any
     * phase), i.e. how many frames show plaintext.
     */
    long markerWindows(byte[] pattern) {
        byte[] repeated = new byte[pattern.length * 3];
        for (int i = 0; i < repeated.length; i++) {
            repeated[i] = pattern[i % pattern.length];
        }
        long hits = 0;
        for (byte[] f : frames) {
            boolean hit = false;
            for (int phase = 0; phase < pattern.length && !hit; phase++) {
                hit = indexOf(f, repeated, phase, 8) >= 0;
            }
            if (hit) {
                hits++;
            }
        }
        return hits;
    }

    private static int indexOf(byte[] hay, byte[] needle, int nOff, int nLen) {
        outer:
        for (int i = 0; i + nLen <= hay.length; i++) {
            for (int j = 0; j < nLen; j++) {
                if (hay[i + j] != needle[nOff + j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
