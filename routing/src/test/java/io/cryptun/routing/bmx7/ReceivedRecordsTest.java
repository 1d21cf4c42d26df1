package io.cryptun.routing.bmx7;

import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceivedRecordsTest {
    private static final long GRACE = 3000;
    private static final NodeId C = NodeId.parse(Fixtures.C);
    private static final NodeId D = NodeId.parse(Fixtures.D);
    private static final byte[] C_FILE = Fixtures.bytes("sms/rcvdSms/" + Fixtures.C + ":cryptun");
    private static final byte[] D_FILE = Fixtures.bytes("sms/rcvdSms/" + Fixtures.D + ":cryptun");

    private static RecordStatus validC() throws Exception {
        return RecordStatus.valid(CryptunRecord.parse(C_FILE));
    }

    @Test
    void bmx7sDeleteAndRewriteOfAnUnchangedFileChangesNothing() throws Exception {
        ReceivedRecords r = new ReceivedRecords(GRACE);
        ReceivedRecords.Update u = r.update(0, Map.of(C, C_FILE), Set.of());
        assertEquals(Set.of(C), u.changed());
        assertEquals(validC(), u.statuses().get(C));
        // the sequence bmx7 runs on every description change of C (events/03): delete, create empty, write
        for (Map<NodeId, byte[]> step : List.<Map<NodeId, byte[]>>of(Map.of(), Map.of(C, new byte[0]),
                Map.of(C, Arrays.copyOf(C_FILE, 40)), Map.of(C, C_FILE))) {
            u = r.update(5, step, Set.of());
            assertEquals(Set.of(), u.changed(), "no change while the file is rewritten");
            assertEquals(validC(), u.statuses().get(C));
            assertEquals(List.of(), u.warnings());
        }
    }

    @Test
    void aChangedRecordIsTakenAtOnce() throws Exception {
        ReceivedRecords r = new ReceivedRecords(GRACE);
        r.update(0, Map.of(C, C_FILE), Set.of());
        byte[] newPort = new String(C_FILE, StandardCharsets.US_ASCII).replace("port=51820", "port=51821")
                .getBytes(StandardCharsets.US_ASCII);
        ReceivedRecords.Update u = r.update(10, Map.of(C, newPort), Set.of());
        assertEquals(Set.of(C), u.changed());
        assertEquals(51821, u.statuses().get(C).record().port());
    }

    @Test
    void aMissingFileIsAWithdrawalOnlyAfterTheGracePeriod() throws Exception {
        ReceivedRecords r = new ReceivedRecords(GRACE);
        r.update(0, Map.of(C, C_FILE, D, D_FILE), Set.of());
        assertEquals(validC(), r.update(100, Map.of(D, D_FILE), Set.of()).statuses().get(C));
        assertEquals(validC(), r.update(100 + GRACE - 1, Map.of(D, D_FILE), Set.of()).statuses().get(C));
        ReceivedRecords.Update u = r.update(100 + GRACE, Map.of(D, D_FILE), Set.of());
        assertEquals(Set.of(C), u.changed());
        assertFalse(u.statuses().containsKey(C));
        assertTrue(u.statuses().containsKey(D));
    }

    @Test
    void aDescriptionWithoutTheSmsConfirmsAWithdrawalAtOnce() throws Exception {
        // events/04: syncSms=-cryptun on D deletes D's file and bmx7's new description of D lists no sms
        ReceivedRecords r = new ReceivedRecords(GRACE);
        r.update(0, Map.of(D, D_FILE), Set.of());
        ReceivedRecords.Update u = r.update(70, Map.of(), Set.of(D));
        assertEquals(Set.of(D), u.changed());
        assertTrue(u.statuses().isEmpty());
        // events/05: syncSms=cryptun again brings it back
        u = r.update(2000, Map.of(D, D_FILE), Set.of());
        assertEquals(Set.of(D), u.changed());
        assertTrue(u.statuses().get(D).isValid());
    }

    @Test
    void aStuckPartialFileBecomesMalformedAfterTheGraceWithOneWarning() {
        ReceivedRecords r = new ReceivedRecords(GRACE);
        byte[] partial = Arrays.copyOf(C_FILE, 60);
        ReceivedRecords.Update u = r.update(0, Map.of(C, partial), Set.of());
        assertTrue(u.statuses().isEmpty(), "nothing known yet, nothing to keep");
        assertEquals(List.of(), u.warnings());
        u = r.update(GRACE, Map.of(C, partial), Set.of());
        assertEquals(RecordStatus.Kind.MALFORMED, u.statuses().get(C).kind());
        assertEquals(1, u.warnings().size());
        assertTrue(u.warnings().get(0).contains(Fixtures.C));
        assertEquals(List.of(), r.update(GRACE + 1000, Map.of(C, partial), Set.of()).warnings(), "warned once");
    }

    @Test
    void completeButInvalidContentIsRefusedAtOnceAndWarnedOncePerContent() throws Exception {
        ReceivedRecords r = new ReceivedRecords(GRACE);
        r.update(0, Map.of(C, C_FILE), Set.of());
        byte[] bad = "v=1 key=nonsense port=1\n".getBytes(StandardCharsets.US_ASCII);
        ReceivedRecords.Update u = r.update(1, Map.of(C, bad), Set.of());
        assertEquals(RecordStatus.Kind.MALFORMED, u.statuses().get(C).kind(), "a complete line cannot be half-written");
        assertEquals(1, u.warnings().size());
        assertEquals(List.of(), r.update(2, Map.of(C, bad), Set.of()).warnings());
        byte[] oversized = new byte[CryptunRecord.MAX_BYTES + 1];
        Arrays.fill(oversized, (byte) 'x');
        u = r.update(3, Map.of(C, oversized), Set.of());
        assertEquals(1, u.warnings().size(), "different bad content warns again");
        assertTrue(u.warnings().get(0).contains("exceeds"));
        u = r.update(4, Map.of(C, C_FILE), Set.of());
        assertEquals(validC(), u.statuses().get(C));
        assertEquals(Set.of(C), u.changed());
    }
}
