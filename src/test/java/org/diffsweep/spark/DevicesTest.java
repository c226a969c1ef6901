package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The task's GPU address picks the DJL device; no GPU resource means the CPU. */
class DevicesTest {

    @Test
    void firstGpuAddressOfTheTask() {
        assertEquals("gpu:3", Devices.choose(Map.of("gpu", new String[] {"3", "5"})));
        assertEquals("gpu:0", Devices.choose(Map.of("gpu", new String[] {" 0"}, "fpga", new String[] {"1"})));
    }

    @Test
    void cpuWithoutGpus() {
        assertEquals("cpu", Devices.choose(Map.of()));
        assertEquals("cpu", Devices.choose(Map.of("gpu", new String[0])));
        assertEquals("cpu", Devices.choose(Map.of("fpga", new String[] {"0"})));
        assertEquals("cpu", Devices.forCurrentTask()); // outside a Spark task
    }

    @Test
    void badAddressIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Devices.choose(Map.of("gpu", new String[] {"GPU-abc"})));
        assertEquals("task GPU address 'GPU-abc', expected a device number", e.getMessage());
    }
}
