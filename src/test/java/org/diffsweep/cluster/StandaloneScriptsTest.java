package org.diffsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * deploy/standalone/start.sh and stop.sh refuse bad input with one line naming the value and exit 2, before
 * starting anything; {@code --help} prints the usage and exits 0.
 */
class StandaloneScriptsTest {

    record Result(int exit, String out, String err) {
    }

    static Result run(String script, String... args) throws Exception {
        Path dir = SparkTestSupport.tempDir("scripts");
        List<String> cmd = new ArrayList<>(List.of("bash", "deploy/standalone/" + script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out").toFile())
                .redirectError(dir.resolve("err").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " did not exit");
        return new Result(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "start.sh {0}")
    @CsvSource(delimiter = '|', value = {
            "--workers 0|--workers '0', expected a positive whole number",
            "--workers two|--workers 'two', expected a positive whole number",
            "--cores -1|--cores '-1', expected a positive whole number",
            "--memory 1024|--memory '1024', expected a size such as 1g or 1536m",
            "--daemon-memory lots|--daemon-memory 'lots', expected a size such as 512m",
            "--port 65536|--port '65536', expected a port 0-65535 (0: any free port)",
            "--webui-port http|--webui-port 'http', expected a port 0-65535 (0: any free port)",
            "--port 7077 --webui-port 7077|--port and --webui-port are both 7077, expected two different ports",
            "--timeout 0|--timeout '0', expected a positive whole number",
            "--workers|--workers needs a value (see --help)",
            "--verbose|unknown argument '--verbose' (see --help)"})
    void startRefusesBadInput(String args, String message) throws Exception {
        Result r = run("start.sh", args.split(" "));
        assertEquals(2, r.exit(), r.err());
        assertEquals("start.sh: " + message + "\n", r.err());
        assertEquals("", r.out());
    }

    @ParameterizedTest(name = "stop.sh {0}")
    @CsvSource(delimiter = '|', value = {
            "--timeout soon|--timeout 'soon', expected a whole number of seconds",
            "--state-dir /nonexistent/standalone|--state-dir '/nonexistent/standalone' is not a directory",
            "--state-dir|--state-dir needs a value (see --help)",
            "--force|unknown argument '--force' (see --help)"})
    void stopRefusesBadInput(String args, String message) throws Exception {
        Result r = run("stop.sh", args.split(" "));
        assertEquals(2, r.exit(), r.err());
        assertEquals("stop.sh: " + message + "\n", r.err());
    }

    @Test
    void helpExitsZero() throws Exception {
        for (String script : List.of("start.sh", "stop.sh")) {
            Result r = run(script, "--help");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().startsWith("Usage: deploy/standalone/" + script), r.out());
            assertTrue(r.out().contains("--state-dir"), r.out());
        }
    }

    @Test
    void stopWithNothingRunningDoesNothing() throws Exception {
        Path state = SparkTestSupport.tempDir("empty-state");
        Result r = run("stop.sh", "--state-dir", state.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("nothing running"), r.err());
    }

    /** A pid file naming a process start.sh did not start (a reused pid): stop.sh leaves it alone. */
    @Test
    void stopLeavesAProcessItDidNotStartAlone() throws Exception {
        Path state = SparkTestSupport.tempDir("foreign-state");
        Process stranger = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(state.resolve("worker-1.pid"), stranger.pid() + "\n");
            Files.writeString(state.resolve("master.pid"), stranger.pid() + "\n");
            Result r = run("stop.sh", "--state-dir", state.toString(), "--timeout", "1");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("nothing running"), r.err());
            assertTrue(stranger.isAlive(), "stop.sh signalled a process start.sh did not start");
            assertTrue(Files.notExists(state.resolve("worker-1.pid")) && Files.notExists(state.resolve("master.pid")),
                    "stale pid files kept");
        } finally {
            stranger.destroyForcibly();
        }
    }
}
