package io.cryptun.routing.mesh;

import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7Table;
import io.cryptun.routing.bmx7.DescriptionsText;
import io.cryptun.routing.bmx7.JsonDescriptions;
import io.cryptun.routing.bmx7.Originator;
import io.cryptun.routing.bmx7.ReceivedRecords;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshViewBuilderTest {

    @Test
    void theControlSocketAloneGivesTheSameViewAsTheJsonTreeAndSmsFiles() {
        List<Bmx7Description> descriptions = DescriptionsText.parse(Fixtures.text("socket/A.descriptions_r0.reply"));
        List<Originator> originators = Originator.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_originators_r0.reply")));
        Map<NodeId, byte[]> sms = new TreeMap<>();
        descriptions.forEach(d -> d.smsData("cryptun").ifPresent(b -> sms.put(d.nodeId(), b)));
        Set<NodeId> without = descriptions.stream().filter(d -> !d.carriesSms("cryptun")).map(Bmx7Description::nodeId)
                .collect(Collectors.toSet());
        Map<NodeId, RecordStatus> records = new ReceivedRecords(3000).update(0, sms, without).statuses();
        MeshView fromSocket = new MeshViewBuilder(FixtureMesh.A).descriptions(descriptions).originators(originators)
                .records(records).build();
        assertEquals(FixtureMesh.viewOfA(), fromSocket);
    }

    @Test
    void aNodeKnownOnlyByItsDescriptionIsUnreachableButComplete() {
        Bmx7Description c = JsonDescriptions.parse(FixtureMesh.C, Fixtures.text("json/descriptions/" + Fixtures.C));
        MeshView v = new MeshViewBuilder(FixtureMesh.A).descriptions(List.of(c)).build();
        MeshNode n = v.node(FixtureMesh.C).orElseThrow();
        assertEquals("nodeC", n.hostname());
        assertEquals(FixtureMesh.C.primaryAddress(), n.bmx7PrimaryIp(), "taken from its HNA announcement");
        assertEquals(0, n.pathMetric());
        assertTrue(!n.isReachable());
        assertEquals(4, n.networks().size());
        assertEquals(RecordStatus.ABSENT, n.record());
    }

    @Test
    void aNodeKnownOnlyAsOriginatorAnnouncesNothing() {
        List<Originator> originators = Originator.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_originators_r0.reply")));
        MeshView v = new MeshViewBuilder(FixtureMesh.A).originators(originators).build();
        assertEquals(4, v.nodes().size());
        assertTrue(v.nodes().values().stream().allMatch(n -> n.networks().isEmpty()));
        assertNull(new MeshViewBuilder(FixtureMesh.A).build().node(FixtureMesh.B).orElse(null));
    }
}
