package org.diffsweep.spark;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/** The driver's Hadoop configuration, shipped to executors as plain entries (s3a keys, fs settings…). */
public final class HadoopConf implements Serializable {

    private static final long serialVersionUID = 1L;

    private final HashMap<String, String> entries = new HashMap<>();
    private transient Configuration conf;

    public HadoopConf(Configuration source) {
        for (Map.Entry<String, String> e : source) {
            entries.put(e.getKey(), e.getValue());
        }
        this.conf = source;
    }

    public Configuration get() {
        if (conf == null) {
            Configuration c = new Configuration(false);
            entries.forEach(c::set);
            conf = c;
        }
        return conf;
    }
}
