package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Network outputs, time conventions and β schedules as configs write them: what fits parses, what does not is
 * refused in one line naming the value and what was expected, and configs written before these keys keep their
 * identity (model spec and process text, which the manifest records).
 */
class ModelConventionsConfigTest {

    static final String REST = "seeds: { count: 4 }\nsamplers: [ { name: euler } ]\ngrids: [ { name: time-uniform } ]\n"
            + "nfe: [4]\nreference: /m/ref.npz\n";

    static SweepConfig parse(String model, String process) {
        return SweepConfig.parse("name: c\nmodel: " + model + "\nprocess: " + process + "\n" + REST, "test.yaml");
    }

    static void refused(String model, String process, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(model, process));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    static String net(String keys) {
        return "{ type: djl, path: /m/net.pt, shape: [1, 2, 2]" + keys + " }";
    }

    @Test
    void existingConfigsKeepTheirIdentity() {
        SweepConfig c = parse(net(", output: epsilon, time: ddpm-index"), "{ name: vp-discrete }");
        assertEquals("DdpmProcess[betaStart=1.0E-4, betaEnd=0.02, steps=1000]", c.family().process());
        assertEquals("{\"output\":\"epsilon\",\"path\":\"/m/net.pt\",\"shape\":[1,2,2],\"time\":\"ddpm-index\","
                + "\"type\":\"djl\"}", c.model().json());
        assertEquals("float32", c.model().net().timeDtype());
        // the defaults written out are the same process
        SweepConfig explicit = parse(net(", output: epsilon, time: ddpm-index"), "{ name: vp-discrete, "
                + "beta_schedule: linear, beta_start: 0.0001, beta_end: 0.02, num_train_timesteps: 1000, "
                + "table_dtype: float64 }");
        assertEquals(c.family().process(), explicit.family().process());
        assertEquals(null, parse(net(""), "{ name: edm }").model().net().time());
    }

    @Test
    void diffusersSchedulesParse() {
        SweepConfig c = parse(net(", output: v, time: ddpm-index-log-sigma, time_dtype: float32"),
                "{ name: vp-discrete, beta_schedule: scaled_linear, beta_start: 0.00085, beta_end: 0.012, "
                        + "num_train_timesteps: 1000, table_dtype: float32 }");
        assertEquals("DdpmProcess[schedule=scaled_linear, betaStart=8.5E-4, betaEnd=0.012, steps=1000, "
                + "tableDtype=float32]", c.family().process());
        assertEquals("v", c.model().net().signature());
        SweepConfig cos = parse(net(", output: sample, time: ddpm-index, time_dtype: int64"),
                "{ name: vp-discrete, beta_schedule: squaredcos_cap_v2, steps: 500 }");
        assertEquals("DdpmProcess[schedule=squaredcos_cap_v2, steps=500, tableDtype=float64]", cos.family().process());
        assertEquals("int64", cos.model().net().timeDtype());
        // v on the continuous VP process, sample and epsilon with c-noise or sigma on edm
        parse(net(", output: v, time: vp-999t"), "{ name: vp }");
        parse(net(", output: sample, time: c-noise"), "{ name: edm }");
        parse(net(", output: epsilon, time: sigma"), "{ name: edm }");
    }

    @Test
    void outputsAndTimesThatDoNotFitAreRefused() {
        refused(net(", output: v, time: sigma"), "{ name: edm }", "model", "output v", "variance-preserving",
                "found edm", "net.pt");
        refused(net(", output: v"), "{ name: vp }", "a v model needs 'time'", "c-noise");
        refused(net(", output: sample, time: t"), "{ name: vp }", "model.time", "'t'", "expected one of",
                "ddpm-index-log-sigma");
        refused(net(", output: epsilon, time: ddpm-index"), "{ name: vp }", "ddpm-index", "vp-discrete",
                "found vp");
        refused(net(", output: v, time: sigma, time_dtype: int64"), "{ name: vp-discrete }", "model.time_dtype",
                "int64 with time 'sigma'", "ddpm-index");
        refused(net(", output: v, time: ddpm-index, time_dtype: int32"), "{ name: vp-discrete }", "'int32'",
                "expected float32 or int64");
        refused(net(", time: sigma"), "{ name: edm }", "model.time", "only epsilon, v and sample models");
        refused(net(", time_dtype: int64"), "{ name: edm }", "model.time_dtype", "only epsilon, v and sample");
        refused(net(", output: x0"), "{ name: edm }", "'x0'", "v ((x, t) -> v");
    }

    @Test
    void badSchedulesAreRefused() {
        String m = net(", output: epsilon, time: ddpm-index");
        refused(m, "{ name: vp-discrete, beta_schedule: cosine }", "process", "beta_schedule 'cosine'",
                "expected linear, scaled_linear or squaredcos_cap_v2");
        refused(m, "{ name: vp-discrete, beta_schedule: squaredcos_cap_v2, beta_end: 0.02 }", "beta_start/beta_end",
                "squaredcos_cap_v2");
        refused(m, "{ name: vp-discrete, steps: 1000, num_train_timesteps: 1000 }", "both steps and "
                + "num_train_timesteps");
        refused(m, "{ name: vp-discrete, table_dtype: float16 }", "table_dtype 'float16'", "float64 or float32");
        refused(m, "{ name: vp-discrete, num_train_timesteps: 1.5 }", "num_train_timesteps", "integer");
    }
}
