package io.cryptun.routing.mesh;

import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7JsonDirectory;
import io.cryptun.routing.bmx7.RcvdSmsDirectory;
import io.cryptun.routing.bmx7.ReceivedRecords;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Node A's view and settings, built from the captured json tree and sms files as the daemon would. */
final class FixtureMesh {
    static final NodeId A = NodeId.parse(Fixtures.A);
    static final NodeId B = NodeId.parse(Fixtures.B);
    static final NodeId C = NodeId.parse(Fixtures.C);
    static final NodeId D = NodeId.parse(Fixtures.D);

    private FixtureMesh() {
    }

    static MeshView viewOfA() {
        try {
            Bmx7JsonDirectory.Snapshot json = new Bmx7JsonDirectory(Fixtures.path("json")).read();
            Map<NodeId, byte[]> files = new RcvdSmsDirectory(Fixtures.path("sms/rcvdSms"), "cryptun").read();
            Set<NodeId> without = json.descriptions().values().stream().filter(d -> !d.carriesSms("cryptun"))
                    .map(Bmx7Description::nodeId).collect(Collectors.toSet());
            Map<NodeId, RecordStatus> records = new ReceivedRecords(3000).update(0, files, without).statuses();
            return new MeshViewBuilder(json.self()).descriptions(json.descriptions().values())
                    .originators(json.originators().values()).records(records).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static CryptunRecord recordOfA() {
        try {
            return CryptunRecord.parse(Fixtures.bytes("sms/sendSms/cryptun"));
        } catch (io.cryptun.routing.RecordFormatException e) {
            throw new AssertionError(e);
        }
    }

    static LocalSettings settingsOfA(CryptMode mode) {
        try {
            Bmx7JsonDirectory.Snapshot json = new Bmx7JsonDirectory(Fixtures.path("json")).read();
            return LocalSettings.of(A, recordOfA(), mode, json.parameters().tunnelSearches());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
