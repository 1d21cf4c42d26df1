package io.cryptun.cli.it.standin;

import io.cryptun.noise.allowedips.IpPrefix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bmx7 stand-in as a process, for benchmarks/mesh-scale when no real bmx7 is at hand: one
 * {@link SyntheticMesh} node per line of the spec file ({@code NAME TUN4 TUN6}), their runtime
 * directories under BASE/NAME, linked as a grid WIDTH wide (1 Gbit/s links), until killed. Writes
 * {@code NAME NODEID PRIMARY-ADDRESS} per node to the ids file once everything is written.
 *
 * <p>Usage: {@code StandInMeshMain BASE SPEC IDS WIDTH}
 */
public final class StandInMeshMain {
    private StandInMeshMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        List<String> spec = Files.readAllLines(Path.of(args[1]));
        Path ids = Path.of(args[2]);
        int width = Integer.parseInt(args[3]);
        SyntheticMesh mesh = new SyntheticMesh(base);
        List<StandInNode> nodes = new ArrayList<>();
        for (String line : spec) {
            String[] f = line.trim().split(" +");
            if (f.length == 3) {
                nodes.add(mesh.addNode(f[0], f[1], f[2]));
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            if ((i + 1) % width != 0 && i + 1 < nodes.size()) {
                mesh.link(nodes.get(i), nodes.get(i + 1), 1_000_000_000L);
            }
            if (i + width < nodes.size()) {
                mesh.link(nodes.get(i), nodes.get(i + width), 1_000_000_000L);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (StandInNode n : nodes) {
            sb.append(n.hostname).append(' ').append(n.id).append(' ')
                    .append(IpPrefix.hostString(n.id.primaryAddress().getAddress())).append('\n');
        }
        Path tmp = ids.resolveSibling(ids.getFileName() + ".tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.US_ASCII);
        Files.move(tmp, ids);
        Thread.currentThread().join();
    }
}
