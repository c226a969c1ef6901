package org.diffsweep.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.diffsweep.cli.Main;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The cluster launchers (jobs/) and recipes (deploy/) checked without a cluster: the launchers' help and the
 * spark-submit command lines they build (with a fake spark-submit), the manifests and steps against pom.xml,
 * conf/ and the command line, the Dockerfile's jar names, and the native-jar script on a fake libtorch zip.
 */
class DeployRecipesTest {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final String MAIN = "org.diffsweep.cli.Main";
    /** Jobs that must have a launcher under jobs/: everything that is meant to run under spark-submit. */
    static final Set<String> CLUSTER_JOBS =
            Set.of("run", "sweep", "fid", "metrics", "report", "distance", "ref-stats", "norm-stats", "schedule",
                    "oracle");
    /** Prints its arguments one a line: stands in for spark-submit, gcloud. */
    static final String ECHO_ARGS = "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n";

    static Map<String, String> pomProps;
    static String artifactId;
    static String version;
    static List<Element> pomDependencies;
    static String bash;

    @BeforeAll
    static void readPom() throws Exception {
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile());
        Element project = doc.getDocumentElement();
        artifactId = childText(project, "artifactId");
        version = childText(project, "version");
        pomProps = new LinkedHashMap<>();
        for (Element p : children(child(project, "properties"))) {
            pomProps.put(p.getTagName(), p.getTextContent().trim());
        }
        pomDependencies = children(child(project, "dependencies"));
        bash = Stream.of(System.getenv("PATH").split(":"), new String[] {"/bin", "/usr/bin"})
                .flatMap(Arrays::stream).map(d -> Path.of(d, "bash")).filter(Files::isExecutable)
                .map(Path::toString).findFirst().orElseThrow(() -> new AssertionError("no bash"));
    }

    static String libtorch() {
        return pomProps.get("libtorch.version");
    }

    static String clusterJar() {
        return artifactId + "-" + version + "-cluster.jar";
    }

    static String nativeJar(String flavor) {
        return "pytorch-native-" + flavor + "-" + libtorch() + "-linux-x86_64.jar";
    }

    // ---- launchers ----

    @Test
    void everyClusterJobHasALauncherAndEveryLauncherIsAJob() throws IOException {
        Set<String> launchers = launchers();
        Set<String> subcommands = cli().getSubcommands().keySet();
        for (String job : launchers) {
            assertTrue(subcommands.contains(job), "jobs/" + job + ".sh names no diffsweep subcommand");
        }
        for (String job : CLUSTER_JOBS) {
            assertTrue(launchers.contains(job), "no launcher jobs/" + job + ".sh");
        }
    }

    @TestFactory
    Stream<DynamicTest> launcherHelpWorksWithoutAClusterJavaOrSparkSubmit() throws IOException {
        Path repo = repoCopy(false);
        Path emptyPath = Files.createDirectories(repo.resolve("empty-path"));
        Path elsewhere = Files.createDirectories(repo.resolve("elsewhere"));
        return launchers().stream().map(job -> DynamicTest.dynamicTest(job, () -> {
            Path script = repo.resolve("jobs/" + job + ".sh");
            CommandSpec spec = cli().getSubcommands().get(job).getCommandSpec();
            for (List<String> args : List.of(List.of("--help"), List.of("-h"), List.of("conf/gmm-demo.yaml", "--help"))) {
                List<String> cmd = new ArrayList<>(List.of(bash, script.toString()));
                cmd.addAll(args);
                Result r = run(elsewhere, Map.of("PATH", emptyPath.toString()), cmd);
                assertEquals(0, r.rc, job + " " + args + ": " + r.err);
                assertEquals("", r.err, job + " " + args);
                String help = r.out;
                String first = help.lines().findFirst().orElse("");
                assertTrue(first.startsWith("Usage: jobs/" + job + ".sh"), first);
                assertTrue(help.contains("SPARK_SUBMIT_ARGS"), job + ": help says nothing of SPARK_SUBMIT_ARGS");
                for (OptionSpec o : spec.options()) {
                    if (o.usageHelp() || o.versionHelp()) {
                        continue;
                    }
                    assertTrue(Pattern.compile("(?m)^\\s+" + Pattern.quote(o.longestName()) + "(\\s|$)").matcher(help).find(),
                            job + ": help does not describe " + o.longestName());
                    if (o.required()) {
                        assertTrue(first.contains(o.longestName()), job + ": usage line lacks required " + o.longestName());
                    }
                }
                for (PositionalParamSpec p : spec.positionalParameters()) {
                    assertTrue(Pattern.compile("(?m)^\\s+" + Pattern.quote(p.paramLabel()) + "\\s").matcher(help).find(),
                            job + ": help does not describe " + p.paramLabel());
                    assertTrue(first.contains(p.paramLabel()), job + ": usage line lacks " + p.paramLabel());
                }
                Matcher m = Pattern.compile("(?m)^\\s+(--[a-z][a-z-]*)").matcher(help);
                while (m.find()) {
                    assertNotNull(spec.findOption(m.group(1)), job + ": help describes " + m.group(1) + ", which "
                            + job + " does not take");
                }
            }
        }));
    }

    @Test
    void submitPassesEachSettingAsConfThenSparkSubmitArgs() throws IOException {
        Path repo = repoCopy(true);
        Path bin = fakeBin(repo, "spark-submit", ECHO_ARGS);
        for (String conf : List.of("conf/spark-defaults.conf", "conf/spark-gpu.conf")) {
            Map<String, String> env = new TreeMap<>(Map.of("PATH", bin.toString(),
                    "SPARK_SUBMIT_ARGS", " --master yarn   --num-executors 3 --files conf/*.yaml --conf spark.yarn.queue=q "));
            if (!conf.equals("conf/spark-defaults.conf")) {
                env.put("DIFFSWEEP_SPARK_CONF", conf);
            }
            Result r = run(repo, env, List.of(bash, "jobs/run.sh", "conf/gmm-demo.yaml", "--out", "s3a://b/x y"));
            assertEquals(0, r.rc, r.err);
            List<String> argv = r.out.lines().toList();
            assertFalse(argv.contains("--properties-file"), argv.toString());
            assertEquals(List.of("--class", MAIN), argv.subList(0, 2));
            int i = 2;
            Map<String, String> passed = new LinkedHashMap<>();
            while (argv.get(i).equals("--conf") && !argv.get(i + 1).startsWith("spark.yarn.queue")) {
                String[] kv = argv.get(i + 1).split("=", 2);
                assertEquals(null, passed.put(kv[0], kv[1]), "passed twice: " + kv[0]);
                i += 2;
            }
            assertEquals(sparkSettings(ROOT.resolve(conf)), passed, conf);
            // split on white space, and no file name expansion: spark-submit expands globs in --files itself
            assertEquals(List.of("--master", "yarn", "--num-executors", "3", "--files", "conf/*.yaml", "--conf", "spark.yarn.queue=q",
                    repo.resolve("target/" + clusterJar()).toString(), "run", "conf/gmm-demo.yaml", "--out", "s3a://b/x y"),
                    argv.subList(i, argv.size()));
        }
    }

    @Test
    void settingsAreReadAsSparkReadsAPropertiesFile() throws IOException {
        Path repo = repoCopy(true);
        Path bin = fakeBin(repo, "spark-submit", ECHO_ARGS);
        Path conf = repo.resolve("odd.conf");
        Files.writeString(conf, """
                # a comment
                ! another
                   spark.a    1\s\s\s
                spark.b=2
                spark.c: 3
                spark.d = 4
                spark.e\t-XX:+UseG1GC -Dx=y z\t
                spark.f=
                spark.g  a=b:c
                last.line.without.newline v""");
        Result r = run(repo, Map.of("PATH", bin.toString(), "DIFFSWEEP_SPARK_CONF", conf.toString()),
                List.of(bash, "jobs/sweep.sh", "c.yaml"));
        assertEquals(0, r.rc, r.err);
        List<String> argv = r.out.lines().toList();
        Map<String, String> passed = new LinkedHashMap<>();
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("--conf")) {
                String[] kv = argv.get(i + 1).split("=", 2);
                passed.put(kv[0], kv[1]);
            }
        }
        Map<String, String> expected = sparkSettings(conf);
        assertEquals(8, expected.size());
        assertEquals(expected, passed);

        Files.writeString(conf, "spark.ok 1\njustakey\n");
        r = run(repo, Map.of("PATH", bin.toString(), "DIFFSWEEP_SPARK_CONF", conf.toString()),
                List.of(bash, "jobs/sweep.sh", "c.yaml"));
        assertOneLineExit2(r, "line 2");
    }

    @Test
    void missingJarOrSparkSubmitIsOneLineAndExitCode2() throws IOException {
        Path noJar = repoCopy(false);
        Path bin = fakeBin(noJar, "spark-submit", ECHO_ARGS);
        Result r = run(noJar, Map.of("PATH", bin.toString()), List.of(bash, "jobs/run.sh", "conf/gmm-demo.yaml"));
        assertOneLineExit2(r, "cluster jar", "mvn -B -ntp -Pcluster");

        Path repo = repoCopy(true);
        Path empty = Files.createDirectories(repo.resolve("empty-path"));
        r = run(repo, Map.of("PATH", empty.toString()), List.of(bash, "jobs/fid.sh", "conf/gmm-demo.yaml"));
        assertOneLineExit2(r, "spark-submit");

        r = run(repo, Map.of("PATH", empty.toString(), "SPARK_HOME", repo.resolve("no-spark").toString()),
                List.of(bash, "jobs/fid.sh", "conf/gmm-demo.yaml"));
        assertOneLineExit2(r, "SPARK_HOME");

        Path sparkHome = repo.resolve("spark");
        fakeBin(sparkHome, "spark-submit", ECHO_ARGS);
        Files.move(sparkHome.resolve("fake-bin"), sparkHome.resolve("bin"));
        r = run(repo, Map.of("PATH", empty.toString(), "SPARK_HOME", sparkHome.toString()),
                List.of(bash, "jobs/fid.sh", "conf/gmm-demo.yaml"));
        assertEquals(0, r.rc, r.err);
        assertTrue(r.out.startsWith("--class\n" + MAIN + "\n"), r.out);

        r = run(repo, Map.of("PATH", bin.toString(), "DIFFSWEEP_SPARK_CONF", "conf/none.conf"),
                List.of(bash, "jobs/run.sh", "conf/gmm-demo.yaml"));
        assertOneLineExit2(r, "conf/none.conf");

        r = run(repo, Map.of("PATH", bin.toString()), List.of(bash, "jobs/run.sh"));
        assertOneLineExit2(r, "jobs/run.sh --help");
        r = run(repo, Map.of("PATH", bin.toString()), List.of(bash, "jobs/submit.sh"));
        assertOneLineExit2(r, "no job");
        r = run(repo, Map.of("PATH", bin.toString()), List.of(bash, "jobs/submit.sh", "bench", "x"));
        assertOneLineExit2(r, "'bench'");
        r = run(repo, Map.of("PATH", bin.toString()), List.of(bash, "jobs/submit.sh", "--help"));
        assertEquals(0, r.rc, r.err);
        assertTrue(r.out.startsWith("Usage: jobs/submit.sh JOB"), r.out);

        Files.createFile(repo.resolve("target/diffsweep-0.0.9-cluster.jar"));
        r = run(repo, Map.of("PATH", bin.toString()), List.of(bash, "jobs/run.sh", "conf/gmm-demo.yaml"));
        assertOneLineExit2(r, "DIFFSWEEP_JAR");
        r = run(repo, Map.of("PATH", bin.toString(), "DIFFSWEEP_JAR", "s3://b/app.jar"),
                List.of(bash, "jobs/run.sh", "conf/gmm-demo.yaml"));
        assertEquals(0, r.rc, r.err);
        assertTrue(r.out.contains("\ns3://b/app.jar\nrun\nconf/gmm-demo.yaml\n"), r.out);
    }

    // ---- deploy/kubernetes ----

    @Test
    void sparkApplicationsRunTheClusterJarWithOurSettings() throws Exception {
        Dockerfile docker = Dockerfile.read();
        String appJar = docker.destinationOf("target/" + clusterJar());
        List<Path> manifests = list(ROOT.resolve("deploy/kubernetes"), ".yaml");
        assertTrue(manifests.size() >= 2, "expected a CPU and a GPU SparkApplication: " + manifests);
        boolean gpuSeen = false;
        for (Path f : manifests) {
            JsonNode app = new ObjectMapper(new YAMLFactory()).readTree(f.toFile());
            String where = ROOT.relativize(f).toString();
            assertEquals("sparkoperator.k8s.io/v1beta2", app.path("apiVersion").asText(), where);
            assertEquals("SparkApplication", app.path("kind").asText(), where);
            JsonNode spec = app.path("spec");
            assertEquals("cluster", spec.path("mode").asText(), where);
            assertTrue(Set.of("Java", "Scala").contains(spec.path("type").asText()), where);
            assertEquals(pomProps.get("spark.version"), spec.path("sparkVersion").asText(), where);
            assertEquals(Main.class.getName(), spec.path("mainClass").asText(), where);
            assertEquals(Main.class, Class.forName(spec.path("mainClass").asText()));
            assertEquals("local://" + appJar, spec.path("mainApplicationFile").asText(), where);
            assertFalse(spec.path("image").asText().isBlank(), where);

            List<String> args = strings(spec.path("arguments"));
            ParseResult job = parseJob(args, where);
            String config = job.matchedPositional(0).stringValues().get(0);
            assertTrue(docker.copiesIntoWorkDir(config), where + ": the image has no " + config
                    + " in its working directory");
            assertConfigUsable(ROOT.resolve(config), where);
            for (String model : modelsNamedIn(ROOT.resolve(config))) {
                assertTrue(docker.copiesIntoWorkDir(model), where + ": the image has no " + model
                        + " in its working directory, and " + config + " names it");
            }
            assertTrue(job.matchedOption("--out").stringValues().get(0).startsWith("s3a://"), where);

            Map<String, String> sparkConf = textMap(spec.path("sparkConf"));
            boolean gpu = sparkConf.containsKey("spark.executor.resource.gpu.amount");
            gpuSeen |= gpu;
            Path settings = ROOT.resolve(gpu ? "conf/spark-gpu.conf" : "conf/spark-defaults.conf");
            sparkSettings(settings).forEach((k, v) ->
                    assertEquals(v, sparkConf.get(k), where + ": " + k + " differs from " + ROOT.relativize(settings)));
            if (gpu) {
                assertEquals("nvidia.com", sparkConf.get("spark.executor.resource.gpu.vendor"), where);
                assertEquals(sparkConf.get("spark.executor.cores"), spec.path("executor").path("cores").asText(), where);
            }
            for (String k : sparkConf.keySet()) {
                assertFalse(k.contains("access.key") || k.contains("secret.key") || k.contains("session.token"),
                        where + ": credentials in a manifest: " + k);
            }
            for (String pod : List.of("driver", "executor")) {
                assertTrue(envNames(spec.path(pod).path("env")).contains("DJL_CACHE_DIR"), where + ": " + pod + " env");
            }
        }
        assertTrue(gpuSeen, "no GPU SparkApplication");
    }

    @Test
    void dockerfileCopiesTheJarsThePomNames() throws Exception {
        Dockerfile docker = Dockerfile.read();
        assertEquals("apache/spark:" + pomProps.get("spark.version") + "-scala" + pomProps.get("scala.binary.version")
                + "-java" + pomProps.get("maven.compiler.release") + "-ubuntu", docker.from);
        assertTrue(docker.destinationOf("target/" + clusterJar()).startsWith("/"));
        assertEquals("/opt/spark/jars/" + nativeJar("cpu"), docker.destinationOf("target/native/" + nativeJar("cpu")));
        String cuda = docker.args.get("LIBTORCH_CUDA");
        assertTrue(cuda != null && cuda.matches("cu\\d{3}"), "LIBTORCH_CUDA: " + cuda);
        assertEquals("/opt/spark/jars/" + nativeJar(cuda), docker.destinationOf("target/native/" + nativeJar(cuda)));
        // the pom's DJL has a JNI library for that CUDA flavor
        assertNotNull(getClass().getClassLoader().getResource("jnilib/linux-x86_64/" + cuda + "/libdjl_torch.so"),
                "pytorch-jni " + libtorch() + "-" + pomProps.get("djl.version") + " has no " + cuda + " JNI library");
        String cudart = docker.destinationOf("target/native/cuda/libcudart.so");
        String ldPath = docker.env.getOrDefault("LD_LIBRARY_PATH", "");
        assertTrue(Arrays.asList(ldPath.split(":")).contains(cudart.substring(0, cudart.lastIndexOf('/'))),
                "LD_LIBRARY_PATH " + ldPath + " lacks the folder of " + cudart);
        for (String[] copy : docker.copies) {
            if (!copy[0].startsWith("target/")) {
                assertTrue(Files.exists(ROOT.resolve(copy[0])), "the Dockerfile copies " + copy[0] + ", which is not here");
            }
        }
    }

    // ---- deploy/native-jar.sh ----

    @Test
    void nativeJarPacksALibtorchZipInDjlsLayout() throws Exception {
        Path jdkBin = Path.of(System.getProperty("java.home"), "bin");
        assumeTrue(Files.isExecutable(jdkBin.resolve("jar")), "no jar tool in " + jdkBin);
        Dockerfile docker = Dockerfile.read();
        String cuda = docker.args.get("LIBTORCH_CUDA");
        Path repo = SparkTestSupport.tempDir("native-jar");
        Files.copy(ROOT.resolve("pom.xml"), repo.resolve("pom.xml"));
        Files.createDirectories(repo.resolve("deploy"));
        Files.copy(ROOT.resolve("deploy/native-jar.sh"), repo.resolve("deploy/native-jar.sh"));
        List<String> kept = List.of("libtorch.so", "libtorch_cpu.so", "libtorch_cuda.so", "libc10.so", "libc10_cuda.so",
                "libcudart-1a2b3c4d.so.12", "libcublas-5e6f7a8b.so.12", "libcublasLt-9c0d.so.12", "libcudnn.so.9",
                "libnvrtc-7a8b.so.12", "libnvToolsExt-847d78f2.so.1", "libgomp-98b21ff3.so.1", "libcaffe2_nvrtc.so");
        List<String> dropped = List.of("libshm.so", "libtorch_global_deps.so", "libkineto.a", "libtorch_python.so");
        Path zip = repo.resolve("libtorch.zip");
        writeLibtorchZip(zip, libtorch() + "+" + cuda, kept, dropped);
        String path = jdkBin + ":/usr/bin:/bin";

        Result r = run(repo, Map.of("PATH", path), List.of(bash, "deploy/native-jar.sh", cuda, zip.toString()));
        assertEquals(0, r.rc, r.err);
        Path jar = repo.resolve("target/native/" + nativeJar(cuda));
        assertTrue(Files.isRegularFile(jar), r.out);
        assertEquals("target/native/" + nativeJar(cuda), docker.sourceNamed(nativeJar(cuda)),
                "the Dockerfile copies another CUDA jar than deploy/native-jar.sh writes");

        Properties ours = new Properties();
        Set<String> libs = new TreeSet<>();
        String prefix = "pytorch/" + cuda + "/linux-x86_64/";
        try (ZipFile z = new ZipFile(jar.toFile())) {
            ours.load(z.getInputStream(z.getEntry("native/lib/pytorch.properties")));
            z.stream().map(ZipEntry::getName).filter(n -> n.startsWith(prefix) && !n.endsWith("/"))
                    .forEach(n -> libs.add(n.substring(prefix.length())));
            assertEquals("libcudart-1a2b3c4d.so.12", new String(z.getInputStream(z.getEntry(prefix + "libcudart-1a2b3c4d.so.12"))
                    .readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(new TreeSet<>(kept), libs, "the libraries DJL's build keeps, and no others");
        assertEquals(libs, new TreeSet<>(Arrays.asList(ours.getProperty("libraries").split(","))));

        // the same keys, classifier and layout as DJL's own CPU jar of the pom's libtorch
        Properties djl = djlCpuProperties();
        assertEquals(djl.stringPropertyNames(), ours.stringPropertyNames());
        assertEquals(djl.getProperty("classifier"), ours.getProperty("classifier"));
        assertEquals(cuda, ours.getProperty("flavor"));
        assertTrue(ours.getProperty("version").startsWith(libtorch())
                && ours.getProperty("version").matches("(\\d+\\.\\d+\\.\\d+(-[a-z]+)?)(-SNAPSHOT)?(-\\d+)?"),
                ours.getProperty("version"));
        assertTrue(djl.getProperty("version").startsWith(libtorch()), "DJL's CPU jar is " + djl.getProperty("version"));
        assertNotNull(getClass().getClassLoader().getResource("pytorch/" + djl.getProperty("flavor") + "/"
                + djl.getProperty("classifier") + "/libtorch.so"), "DJL's CPU jar is not laid out as pytorch/FLAVOR/CLASSIFIER/");
        assertEquals("libcudart-1a2b3c4d.so.12", Files.readString(repo.resolve("target/native/cuda/libcudart.so")));

        Path other = repo.resolve("other.zip");
        writeLibtorchZip(other, "2.5.1+cu124", kept, dropped);
        Files.delete(jar);
        r = run(repo, Map.of("PATH", path), List.of(bash, "deploy/native-jar.sh", cuda, other.toString()));
        assertOneLineExit2(r, libtorch() + "+" + cuda);
        assertFalse(Files.exists(jar));
    }

    @Test
    void nativeJarCopiesThePomsCpuJarFromMaven() throws Exception {
        Path repo = SparkTestSupport.tempDir("native-cpu");
        Files.copy(ROOT.resolve("pom.xml"), repo.resolve("pom.xml"));
        Files.createDirectories(repo.resolve("deploy"));
        Files.copy(ROOT.resolve("deploy/native-jar.sh"), repo.resolve("deploy/native-jar.sh"));
        // a fake mvn that names the copied file as dependency:copy does: artifactId-version-classifier.jar
        Path bin = fakeBin(repo, "mvn", """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in -Dartifact=*) art="${a#-Dartifact=}" ;; -DoutputDirectory=*) dir="${a#-DoutputDirectory=}" ;; esac
                  printf '%s\\n' "$a"
                done
                IFS=:
                set -- $art
                : > "$dir/$2-$3-$5.jar"
                """);
        Result r = run(repo, Map.of("PATH", bin + ":/usr/bin:/bin"), List.of(bash, "deploy/native-jar.sh", "cpu"));
        assertEquals(0, r.rc, r.err);
        Element dep = pomDependencies.stream().filter(d -> "pytorch-native-cpu".equals(childText(d, "artifactId")))
                .findFirst().orElseThrow();
        String coordinate = childText(dep, "groupId") + ":pytorch-native-cpu:" + libtorch() + ":jar:" + childText(dep, "classifier");
        assertTrue(r.out.lines().anyMatch(("-Dartifact=" + coordinate)::equals), r.out);
        assertTrue(Files.isRegularFile(repo.resolve("target/native/" + nativeJar("cpu"))), r.out);
        assertEquals("target/native/" + nativeJar("cpu"), Dockerfile.read().sourceNamed(nativeJar("cpu")));
    }

    // ---- deploy/emr, deploy/dataproc, deploy/yarn ----

    @Test
    void emrStepsSubmitTheClusterJarWithOurSettings() throws Exception {
        JsonNode steps = new ObjectMapper().readTree(ROOT.resolve("deploy/emr/steps.json").toFile());
        assertTrue(steps.isArray() && steps.size() > 0);
        for (JsonNode step : steps) {
            String where = "steps.json '" + step.path("Name").asText() + "'";
            assertEquals("CUSTOM_JAR", step.path("Type").asText(), where);
            assertEquals("command-runner.jar", step.path("Jar").asText(), where);
            List<String> args = strings(step.path("Args"));
            assertEquals("spark-submit", args.get(0), where);
            Submit s = Submit.parse(args.subList(1, args.size()));
            assertEquals(MAIN, s.option("--class"), where);
            assertEquals("cluster", s.option("--deploy-mode"), where);
            assertSettings(s.confs, "conf/spark-defaults.conf", where);
            assertTrue(s.confs.containsKey("spark.executorEnv.DJL_CACHE_DIR"), where);
            assertTrue(s.confs.containsKey("spark.yarn.appMasterEnv.DJL_CACHE_DIR"), where);
            assertTrue(names(s.option("--jars")).contains(nativeJar("cpu")), where + ": --jars " + s.option("--jars"));
            assertEquals(clusterJar(), name(s.jar), where);
            ParseResult job = parseJob(s.appArgs, where);
            String config = job.matchedPositional(0).stringValues().get(0);
            assertTrue(names(s.option("--files")).contains(config), where + ": " + config + " is not in --files");
            assertConfigUsable(ROOT.resolve("conf").resolve(config), where);
            assertTrue(job.matchedOption("--out").stringValues().get(0).startsWith("s3://"), where);
        }
    }

    @Test
    void dataprocScriptSubmitsTheClusterJarWithOurSettings() throws Exception {
        Path tmp = SparkTestSupport.tempDir("dataproc");
        Path bin = fakeBin(tmp, "gcloud", ECHO_ARGS);
        Map<String, String> env = Map.of("PATH", bin.toString(), "CLUSTER", "c1", "REGION", "r1", "BUCKET", "bkt");
        Result r = run(tmp, env, List.of(bash, ROOT.resolve("deploy/dataproc/submit.sh").toString(), "--partitions", "8"));
        assertEquals(0, r.rc, r.err);
        List<String> argv = r.out.lines().toList();
        assertEquals(List.of("dataproc", "jobs", "submit", "spark"), argv.subList(0, 4));
        int dashes = argv.indexOf("--");
        Map<String, String> flags = new LinkedHashMap<>();
        for (String a : argv.subList(4, dashes)) {
            String[] kv = a.split("=", 2);
            assertEquals(null, flags.put(kv[0], kv[1]), "twice: " + kv[0]);
        }
        assertEquals("c1", flags.get("--cluster"));
        assertEquals("r1", flags.get("--region"));
        assertEquals(MAIN, flags.get("--class"));
        assertEquals(List.of("gs://bkt/diffsweep/" + clusterJar(), "gs://bkt/diffsweep/" + nativeJar("cpu")),
                Arrays.asList(flags.get("--jars").split(",")));
        String props = flags.get("--properties");
        assertTrue(props.startsWith("^#^"), props);
        Map<String, String> confs = new LinkedHashMap<>();
        for (String kv : props.substring(3).split("#")) {
            String[] p = kv.split("=", 2);
            confs.put(p[0], p[1]);
        }
        assertSettings(confs, "conf/spark-defaults.conf", "dataproc");
        assertEquals("cluster", confs.get("spark.submit.deployMode"));
        assertTrue(confs.containsKey("spark.executorEnv.DJL_CACHE_DIR"));
        List<String> jobArgs = argv.subList(dashes + 1, argv.size());
        ParseResult job = parseJob(jobArgs, "dataproc");
        assertEquals("8", job.matchedOption("--partitions").stringValues().get(0));
        String config = job.matchedPositional(0).stringValues().get(0);
        assertEquals(List.of("gs://bkt/diffsweep/conf/" + config), Arrays.asList(flags.get("--files").split(",")));
        assertConfigUsable(ROOT.resolve("conf").resolve(config), "dataproc");
        assertTrue(job.matchedOption("--out").stringValues().get(0).startsWith("gs://bkt/"));

        Map<String, String> noCluster = new TreeMap<>(env);
        noCluster.remove("CLUSTER");
        assertOneLineExit2(run(tmp, noCluster, List.of(bash, ROOT.resolve("deploy/dataproc/submit.sh").toString())),
                "CLUSTER");
        Map<String, String> noGcloud = new TreeMap<>(env);
        noGcloud.put("PATH", Files.createDirectories(tmp.resolve("empty")).toString());
        assertOneLineExit2(run(tmp, noGcloud, List.of(bash, ROOT.resolve("deploy/dataproc/submit.sh").toString())),
                "gcloud");
    }

    @Test
    void yarnScriptSubmitsThroughTheRunLauncher() throws Exception {
        Path repo = repoCopy(true);
        Files.createDirectories(repo.resolve("target/native"));
        Files.createFile(repo.resolve("target/native/" + nativeJar("cpu")));
        Path bin = fakeBin(repo, "spark-submit", ECHO_ARGS);
        Result r = run(repo, Map.of("PATH", bin.toString(), "EXECUTORS", "7"),
                List.of(bash, "deploy/yarn/run.sh", "conf/gmm-demo.yaml", "hdfs:///tmp/gmm-demo"));
        assertEquals(0, r.rc, r.err);
        Submit s = Submit.parse(r.out.lines().toList());
        assertFalse(s.options.contains("--properties-file"));
        assertEquals(MAIN, s.option("--class"));
        assertEquals("yarn", s.option("--master"));
        assertEquals("cluster", s.option("--deploy-mode"));
        assertEquals("7", s.option("--num-executors"));
        assertEquals(repo.resolve("target/native/" + nativeJar("cpu")).toString(), s.option("--jars"));
        assertEquals("conf/gmm-demo.yaml", s.option("--files"));
        assertSettings(s.confs, "conf/spark-defaults.conf", "yarn");
        assertTrue(s.confs.containsKey("spark.executorEnv.DJL_CACHE_DIR"));
        assertEquals(repo.resolve("target/" + clusterJar()).toString(), s.jar);
        ParseResult job = parseJob(s.appArgs, "yarn");
        assertEquals("run", job.commandSpec().name());
        assertEquals("gmm-demo.yaml", job.matchedPositional(0).stringValues().get(0));
        assertEquals("hdfs:///tmp/gmm-demo", job.matchedOption("--out").stringValues().get(0));

        Files.delete(repo.resolve("target/native/" + nativeJar("cpu")));
        r = run(repo, Map.of("PATH", bin.toString()),
                List.of(bash, "deploy/yarn/run.sh", "conf/gmm-demo.yaml", "hdfs:///tmp/gmm-demo"));
        assertOneLineExit2(r, "deploy/native-jar.sh cpu");
    }

    @Test
    void versionsNamedInJobsAndDeployMatchThePom() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Stream.concat(Files.walk(ROOT.resolve("deploy")), Files.walk(ROOT.resolve("jobs")))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Pattern nativeName = Pattern.compile("pytorch-native-[a-z0-9]+[-:](\\d+\\.\\d+\\.\\d+)");
        Pattern appName = Pattern.compile("diffsweep-(\\d[^\\s\"/,]*?)-cluster\\.jar");
        Pattern libtorchWord = Pattern.compile("libtorch[ =]v?(\\d+\\.\\d+\\.\\d+)");
        Pattern image = Pattern.compile("apache/spark:(\\d+\\.\\d+\\.\\d+)");
        Pattern sparkVersion = Pattern.compile("sparkVersion: \"?(\\d+\\.\\d+\\.\\d+)");
        int found = 0;
        for (Path f : files) {
            String text = Files.readString(f);
            String where = ROOT.relativize(f).toString();
            found += assertAll(nativeName, text, libtorch(), where, null);
            found += assertAll(appName, text, version, where, null);
            found += assertAll(libtorchWord, text, libtorch(), where, null);
            found += assertAll(image, text, pomProps.get("spark.version"), where, null);
            found += assertAll(sparkVersion, text, pomProps.get("spark.version"), where, null);
        }
        assertTrue(found > 20, "only " + found + " versions found: is the scan looking at the recipes?");
    }

    /** Checks every match's group 1 equals the expected value (or the one allowed other); returns the count. */
    static int assertAll(Pattern p, String text, String expected, String where, String allowed) {
        Matcher m = p.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
            if (!m.group(1).equals(expected) && !m.group(1).equals(allowed)) {
                fail(where + ": '" + m.group() + "', but pom.xml has " + expected);
            }
        }
        return n;
    }

    // ---- helpers ----

    static CommandLine cli() {
        return new CommandLine(new Main());
    }

    /** Parses a job's arguments as diffsweep does (without running it): the job exists and takes them. */
    static ParseResult parseJob(List<String> args, String where) {
        try {
            ParseResult r = cli().parseArgs(args.toArray(String[]::new));
            assertTrue(r.hasSubcommand(), where + ": no job in " + args);
            assertTrue(CLUSTER_JOBS.contains(r.subcommand().commandSpec().name()), where + ": " + args.get(0)
                    + " is not a cluster job");
            return r.subcommand();
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError(where + ": diffsweep would refuse " + args + ": " + e.getMessage(), e);
        }
    }

    /** A shipped config the recipe names: it loads, and the models/ files it names are in the repository. */
    static void assertConfigUsable(Path config, String where) throws IOException {
        assertTrue(Files.isRegularFile(config), where + ": " + config + " not found");
        SweepConfig.load(config);
        for (String model : modelsNamedIn(config)) {
            assertTrue(Files.exists(ROOT.resolve(model)), where + ": " + config.getFileName() + " names " + model);
        }
    }

    static List<String> modelsNamedIn(Path config) throws IOException {
        return Pattern.compile("models/[\\w.-]+").matcher(Files.readString(config)).results().map(java.util.regex.MatchResult::group).toList();
    }

    static void assertSettings(Map<String, String> confs, String settingsFile, String where) throws IOException {
        sparkSettings(ROOT.resolve(settingsFile)).forEach((k, v) ->
                assertEquals(v, confs.get(k), where + ": " + k + " is not passed as in " + settingsFile));
    }

    /** A settings file as spark-submit reads a properties file: Properties, values trimmed. */
    static Map<String, String> sparkSettings(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        Map<String, String> m = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
        return m;
    }

    static Properties djlCpuProperties() throws IOException {
        for (URL url : Collections.list(DeployRecipesTest.class.getClassLoader().getResources("native/lib/pytorch.properties"))) {
            if (url.toString().contains("pytorch-native-cpu")) {
                Properties p = new Properties();
                try (InputStream in = url.openStream()) {
                    p.load(in);
                }
                return p;
            }
        }
        throw new AssertionError("pytorch-native-cpu is not on the test class path");
    }

    static void writeLibtorchZip(Path zip, String buildVersion, List<String> kept, List<String> dropped) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("libtorch/build-version"));
            z.write((buildVersion + "\n").getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("libtorch/include/torch/torch.h"));
            z.write("// header".getBytes(StandardCharsets.UTF_8));
            for (String lib : Stream.concat(kept.stream(), dropped.stream()).toList()) {
                z.putNextEntry(new ZipEntry("libtorch/lib/" + lib));
                z.write(lib.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    static Set<String> launchers() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("jobs"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sh") && !n.equals("submit.sh"))
                    .map(n -> n.substring(0, n.length() - 3)).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** jobs/, conf/ and deploy/ in a fresh folder, with a fake (empty) cluster jar in target/ if asked. */
    static Path repoCopy(boolean withJar) throws IOException {
        Path repo = SparkTestSupport.tempDir("deploy-repo");
        for (String dir : List.of("jobs", "conf", "deploy")) {
            copyTree(ROOT.resolve(dir), repo.resolve(dir));
        }
        Files.copy(ROOT.resolve("pom.xml"), repo.resolve("pom.xml"));
        if (withJar) {
            Files.createDirectories(repo.resolve("target"));
            Files.createFile(repo.resolve("target/" + clusterJar()));
        }
        return repo;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** A folder dir/fake-bin holding one executable script. */
    static Path fakeBin(Path dir, String name, String script) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path f = bin.resolve(name);
        Files.writeString(f, script);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    record Result(int rc, String out, String err) {
    }

    /** Runs a command in dir with exactly the given environment (nothing inherited: no SPARK_HOME, no PATH). */
    static Result run(Path dir, Map<String, String> env, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("HOME", dir.toString());
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(SparkTestSupport.tempDir("out"), "run", ".out");
        Path err = Files.createTempFile(out.getParent(), "run", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("timed out: " + cmd);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static void assertOneLineExit2(Result r, String... fragments) {
        assertEquals(2, r.rc, "exit code; stderr: " + r.err + " stdout: " + r.out);
        assertEquals("", r.out, "nothing may run: " + r.out);
        assertEquals(1, r.err.lines().count(), "expected one line: " + r.err);
        for (String f : fragments) {
            assertTrue(r.err.contains(f), "'" + f + "' not in: " + r.err);
        }
    }

    /** A spark-submit command line (without "spark-submit"): options, --conf settings, the jar, its arguments. */
    record Submit(List<String> options, Map<String, String> values, Map<String, String> confs, String jar,
            List<String> appArgs) {
        static final Set<String> FLAGS = Set.of("--verbose", "--supervise", "--version", "--help");

        static Submit parse(List<String> argv) {
            List<String> options = new ArrayList<>();
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, String> confs = new LinkedHashMap<>();
            int i = 0;
            while (i < argv.size() && argv.get(i).startsWith("--")) {
                String o = argv.get(i);
                options.add(o);
                if (FLAGS.contains(o)) {
                    i++;
                    continue;
                }
                String v = argv.get(i + 1);
                if (o.equals("--conf")) {
                    String[] kv = v.split("=", 2);
                    assertEquals(null, confs.put(kv[0], kv[1]), "--conf " + kv[0] + " twice in " + argv);
                } else {
                    assertEquals(null, values.put(o, v), o + " twice in " + argv);
                }
                i += 2;
            }
            assertTrue(i < argv.size(), "no application jar in " + argv);
            return new Submit(options, values, confs, argv.get(i), argv.subList(i + 1, argv.size()));
        }

        String option(String name) {
            return values.get(name);
        }
    }

    static String name(String pathOrUri) {
        return pathOrUri.substring(pathOrUri.lastIndexOf('/') + 1);
    }

    static List<String> names(String commaList) {
        assertNotNull(commaList);
        return Arrays.stream(commaList.split(",")).map(DeployRecipesTest::name).toList();
    }

    /** deploy/kubernetes/Dockerfile: its FROM, ARG defaults, ENV and COPY lines with the ARGs substituted. */
    record Dockerfile(String from, Map<String, String> args, Map<String, String> env, List<String[]> copies,
            String workdir) {

        static Dockerfile read() throws IOException {
            String text = Files.readString(ROOT.resolve("deploy/kubernetes/Dockerfile")).replaceAll("\\\\\\n", " ");
            Map<String, String> args = new LinkedHashMap<>();
            Map<String, String> env = new LinkedHashMap<>();
            List<String[]> copies = new ArrayList<>();
            String from = null;
            for (String line : text.lines().map(String::trim).toList()) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] w = line.split("\\s+");
                switch (w[0]) {
                    case "ARG" -> {
                        String[] kv = w[1].split("=", 2);
                        args.put(kv[0], kv.length > 1 ? kv[1] : null);
                    }
                    case "FROM" -> from = substitute(w[1], args);
                    case "ENV" -> {
                        for (int i = 1; i < w.length; i++) {
                            String[] kv = w[i].split("=", 2);
                            env.put(kv[0], substitute(kv[1], args));
                        }
                    }
                    case "COPY" -> {
                        List<String> parts = Arrays.stream(w).skip(1).filter(s -> !s.startsWith("--")).toList();
                        for (String src : parts.subList(0, parts.size() - 1)) {
                            copies.add(new String[] {substitute(src, args), substitute(parts.get(parts.size() - 1), args)});
                        }
                    }
                    default -> {
                    }
                }
            }
            return new Dockerfile(from, args, env, copies, "/opt/spark/work-dir");
        }

        static String substitute(String s, Map<String, String> args) {
            Matcher m = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)").matcher(s);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2);
                String v = args.get(name);
                assertNotNull(v, "Dockerfile: ARG " + name + " has no default");
                m.appendReplacement(b, Matcher.quoteReplacement(v));
            }
            return m.appendTail(b).toString();
        }

        /** Where the image has the file a COPY takes from src. */
        String destinationOf(String src) {
            for (String[] c : copies) {
                if (c[0].equals(src)) {
                    return c[1].endsWith("/") ? c[1] + name(src) : c[1];
                }
            }
            throw new AssertionError("the Dockerfile does not COPY " + src + "; it copies "
                    + copies.stream().map(c -> c[0]).toList());
        }

        String sourceNamed(String fileName) {
            return copies.stream().map(c -> c[0]).filter(s -> name(s).equals(fileName)).findFirst()
                    .orElseThrow(() -> new AssertionError("the Dockerfile copies no " + fileName));
        }

        /** Whether a relative path (as a job argument) is in the image's working directory. */
        boolean copiesIntoWorkDir(String relative) {
            for (String[] c : copies) {
                String inImage = null;
                if (c[0].endsWith("/") && relative.startsWith(c[0])) {
                    inImage = (c[1].endsWith("/") ? c[1] : c[1] + "/") + relative.substring(c[0].length());
                } else if (c[0].equals(relative)) {
                    inImage = c[1].endsWith("/") ? c[1] + name(relative) : c[1];
                }
                if ((workdir + "/" + relative).equals(inImage)) {
                    return true;
                }
            }
            return false;
        }
    }

    static Element child(Element e, String tag) {
        for (Element c : children(e)) {
            if (c.getTagName().equals(tag)) {
                return c;
            }
        }
        throw new AssertionError("no <" + tag + "> in <" + e.getTagName() + ">");
    }

    static String childText(Element e, String tag) {
        return child(e, tag).getTextContent().trim();
    }

    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = e.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE) {
                out.add((Element) nodes.item(i));
            }
        }
        return out;
    }

    static List<String> strings(JsonNode array) {
        assertTrue(array.isArray(), "expected a list: " + array);
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static Map<String, String> textMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    static Set<String> envNames(JsonNode env) {
        Set<String> out = new TreeSet<>();
        env.forEach(n -> out.add(n.path("name").asText()));
        return out;
    }

    static List<Path> list(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }
}
