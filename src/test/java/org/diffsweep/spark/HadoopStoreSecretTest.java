package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** A secret written into a path (s3a://KEY:SECRET@bucket/...) is refused, and never repeated in the message. */
class HadoopStoreSecretTest {

    static final String SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

    @Test
    void aPathWithASecretIsRefusedWithoutRepeatingIt() {
        HadoopStore store = new HadoopStore(new Configuration());
        for (String path : new String[] {"s3a://AKIAEXAMPLE:" + SECRET + "@bucket/models/m.pt",
            "s3a://AKIAEXAMPLE:" + SECRET.substring(0, 9) + "/" + SECRET.substring(10) + "@bucket/m.pt"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.qualify(path));
            String secretPart = SECRET.substring(0, 9);
            assertFalse(e.getMessage().contains(secretPart), "the message repeats the secret: " + e.getMessage());
            assertTrue(e.getMessage().contains("@bucket/"), "the message names no path: " + e.getMessage());
        }
    }

    @Test
    void aSecretIsToldFromAPort() {
        assertTrue(HadoopStore.hasSecret("s3a://AKIA:" + SECRET + "@bucket/x"));
        assertTrue(HadoopStore.hasSecret("s3a://AKIA:ab/cd@bucket/x"));
        assertFalse(HadoopStore.hasSecret("hdfs://nn:8020/data/user@example.com/x"));
        assertFalse(HadoopStore.hasSecret("s3a://bucket/user@example.com/x"));
        assertFalse(HadoopStore.hasSecret("s3a://bucket/x"));
        assertFalse(HadoopStore.hasSecret("/local/a:b@c"));
    }

    @Test
    void redactMasksOnlyThePassword() {
        assertEquals("s3a://AKIA:***@bucket/x and hdfs://nn:8020/y",
                HadoopStore.redact("s3a://AKIA:" + SECRET + "@bucket/x and hdfs://nn:8020/y"));
        assertEquals("s3a://bucket/x", HadoopStore.redact("s3a://bucket/x"));
    }
}
