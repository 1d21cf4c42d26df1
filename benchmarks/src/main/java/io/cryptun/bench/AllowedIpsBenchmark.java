package io.cryptun.bench;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.allowedips.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cryptokey routing lookups ({@link AllowedIps#lookup(byte[], int, int)}, the call the packet
 * path makes with the address inside the packet) in one table holding {@value #PREFIXES} random
 * IPv4 and {@value #PREFIXES} random IPv6 prefixes spread over {@value #OWNERS} peers. Half the
 * prefixes are host routes (/32, /128), the rest uniform in /16../31 and /32../127, as a mesh of
 * hosts with some routed subnets looks. "hit" looks up addresses inside a random inserted prefix,
 * "miss" addresses no prefix covers; {@value #PROBES} different addresses are cycled so the
 * branch predictor cannot learn one path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllowedIpsBenchmark {
    static final int PREFIXES = 10_000;
    static final int OWNERS = 1_000;
    static final int PROBES = 1024;

    @Param({"4", "6"})
    public int family;

    @Param({"hit", "miss"})
    public String kind;

    private AllowedIps<Integer> table;
    private byte[] probes;
    private int width;
    private int next;

    @Setup
    public void setup() {
        Random random = new Random(20261123);
        table = new AllowedIps<>();
        List<IpPrefix> v4 = fill(random, 4, 16, 31);
        List<IpPrefix> v6 = fill(random, 16, 32, 127);
        if (table.size() != v4.size() + v6.size()) {
            throw new IllegalStateException("table holds " + table.size() + " prefixes, expected " + (v4.size() + v6.size()));
        }
        List<IpPrefix> mine = family == 4 ? v4 : v6;
        width = family == 4 ? 4 : 16;
        probes = new byte[PROBES * width];
        boolean hit = "hit".equals(kind);
        for (int i = 0; i < PROBES; i++) {
            byte[] address;
            if (hit) {
                IpPrefix p = mine.get(random.nextInt(mine.size()));
                address = randomInside(random, p);
                if (table.lookup(address) == null) {
                    throw new IllegalStateException("an address inside " + p + " found no owner");
                }
            } else {
                do {
                    address = new byte[width];
                    random.nextBytes(address);
                } while (table.lookup(address) != null);
            }
            System.arraycopy(address, 0, probes, i * width, width);
        }
    }

    /** Inserts PREFIXES distinct prefixes of one family and returns them. */
    private List<IpPrefix> fill(Random random, int bytes, int minLength, int maxLength) {
        List<IpPrefix> inserted = new ArrayList<>(PREFIXES);
        while (inserted.size() < PREFIXES) {
            byte[] address = new byte[bytes];
            random.nextBytes(address);
            int length = random.nextBoolean() ? bytes * 8 : minLength + random.nextInt(maxLength - minLength + 1);
            IpPrefix p = IpPrefix.of(address, length);
            if (table.ownerOf(p) == null) {
                table.insert(p, inserted.size() % OWNERS);
                inserted.add(p);
            }
        }
        return inserted;
    }

    private static byte[] randomInside(Random random, IpPrefix p) {
        byte[] address = p.address();
        byte[] noise = new byte[address.length];
        random.nextBytes(noise);
        for (int bit = p.length(); bit < address.length * 8; bit++) {
            int mask = 0x80 >>> (bit & 7);
            address[bit >>> 3] = (byte) ((address[bit >>> 3] & ~mask) | (noise[bit >>> 3] & mask));
        }
        return address;
    }

    @Benchmark
    public Integer lookup() {
        int i = next;
        next = (i + 1) & (PROBES - 1);
        return table.lookup(probes, i * width, width);
    }
}
