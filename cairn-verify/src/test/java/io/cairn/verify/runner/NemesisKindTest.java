package io.cairn.verify.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Join and leave exist only for elastic clusters: "all" adapts, an explicit request in a static cluster is refused. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NemesisKindTest {
    @Test
    void allMeansEveryFaultTheMembershipModeSupports() {
        assertEquals(EnumSet.of(NemesisKind.KILL, NemesisKind.PAUSE, NemesisKind.PARTITION, NemesisKind.CLOCK,
                NemesisKind.TRANSFER), NemesisKind.parse("all"));
        assertEquals(EnumSet.allOf(NemesisKind.class), NemesisKind.parse("all", true));
        assertEquals(EnumSet.of(NemesisKind.JOIN, NemesisKind.KILL), NemesisKind.parse("join, kill", true));
        assertEquals(EnumSet.noneOf(NemesisKind.class), NemesisKind.parse("none", true));
    }

    @Test
    void membershipNemesesNeedAnElasticCluster() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NemesisKind.parse("kill,leave"));
        assertTrue(e.getMessage().contains("elastic"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NemesisKind.parse("rebalance", true));

        NodeLauncher launcher = new NodeLauncher("java", List.of(), "cp", "Main");
        VerifyOptions stat = VerifyOptions.defaults(launcher, Path.of("target"), Duration.ofSeconds(1),
                EnumSet.noneOf(NemesisKind.class), 1);
        assertThrows(IllegalArgumentException.class, () -> stat.withNemeses(EnumSet.of(NemesisKind.JOIN)));
        VerifyOptions elastic = stat.withElastic(ElasticOptions.DEFAULT).withNemeses(EnumSet.of(NemesisKind.JOIN));
        assertEquals(4, elastic.capacity());
        assertThrows(IllegalArgumentException.class, () -> elastic.withNodes(5).withElastic(ElasticOptions.DEFAULT.withSpares(5)));
        assertThrows(IllegalArgumentException.class, () -> ElasticOptions.DEFAULT.withSpares(0));
    }
}
