package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's text handling: every string is escaped, and the jobs' CSV files read back field for field. */
class ReportJobTest {

    @Test
    void escapesEveryMarkupCharacter() {
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", ReportJob.esc("a <b> & \"c\" 'd'"));
        assertEquals("", ReportJob.esc(null));
    }

    @Test
    void readsQuotedFieldsWithCommasAndQuotes() {
        List<Map<String, String>> rows = ReportJob.csv("config_id,grid,fid\n"
                + "heun_x,\"edm(rho=7,sigma_min=0.002)\",1.5\n" + "a,\"say \"\"hi\"\"\",\n");
        assertEquals(2, rows.size());
        assertEquals("edm(rho=7,sigma_min=0.002)", rows.get(0).get("grid"));
        assertEquals("1.5", rows.get(0).get("fid"));
        assertEquals("say \"hi\"", rows.get(1).get("grid"));
        assertEquals("", rows.get(1).get("fid"));
    }
}
