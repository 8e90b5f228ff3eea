package io.cairn.storage.rocksdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.ConfigOptions;
import org.rocksdb.DBOptions;

/**
 * Turns {@code rocksdb.<name>=<value>} settings into RocksDB {@link DBOptions} and
 * {@link ColumnFamilyOptions} through RocksDB's own option-string parser, so every option RocksDB
 * knows is settable by its RocksDB name (e.g. {@code rocksdb.max_background_jobs=4},
 * {@code rocksdb.compression=kZSTD},
 * {@code rocksdb.block_based_table_factory={block_cache=256M;filter_policy=bloomfilter:10:false}}).
 * Each name is classified on its own so an unknown name or bad value is reported by name.
 */
final class RocksDbOptions {
    static final String PREFIX = "rocksdb.";

    final Properties db = new Properties();
    final Properties cf = new Properties();

    private RocksDbOptions() {}

    /** @param ownKeys keys under {@code rocksdb.} that the engine interprets itself */
    static RocksDbOptions parse(Map<String, String> settings, List<String> ownKeys) {
        RocksDbOptions out = new RocksDbOptions();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(settings).entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX) || ownKeys.contains(key)) {
                continue;
            }
            String name = key.substring(PREFIX.length());
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (name.isEmpty() || !name.matches("[a-z0-9_.]+")) {
                problems.add("'" + key + "' is not a RocksDB option name");
                continue;
            }
            Properties one = new Properties();
            one.setProperty(name, value);
            if (isDbOption(one)) {
                out.db.setProperty(name, value);
            } else if (isCfOption(one)) {
                out.cf.setProperty(name, value);
            } else {
                problems.add("'" + key + "=" + value + "' is not a valid RocksDB DBOptions or ColumnFamilyOptions option"
                        + " (unknown name or bad value)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("bad RocksDB settings: " + String.join("; ", problems)
                    + ". Engine keys: " + ownKeys + "; other " + PREFIX + "* keys are RocksDB option names.");
        }
        return out;
    }

    private static boolean isDbOption(Properties p) {
        try (ConfigOptions strict = strict(); DBOptions o = DBOptions.getDBOptionsFromProps(strict, p)) {
            return o != null;
        }
    }

    private static boolean isCfOption(Properties p) {
        try (ConfigOptions strict = strict(); ColumnFamilyOptions o = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(strict, p)) {
            return o != null;
        }
    }

    private static ConfigOptions strict() {
        return new ConfigOptions().setIgnoreUnknownOptions(false).setInputStringsEscaped(false);
    }

    DBOptions dbOptions() {
        if (db.isEmpty()) {
            return new DBOptions();
        }
        try (ConfigOptions strict = strict()) {
            DBOptions o = DBOptions.getDBOptionsFromProps(strict, db);
            if (o == null) {
                throw new IllegalArgumentException("RocksDB rejected the DBOptions combination " + db);
            }
            return o;
        }
    }

    ColumnFamilyOptions cfOptions() {
        if (cf.isEmpty()) {
            return new ColumnFamilyOptions();
        }
        try (ConfigOptions strict = strict()) {
            ColumnFamilyOptions o = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(strict, cf);
            if (o == null) {
                throw new IllegalArgumentException("RocksDB rejected the ColumnFamilyOptions combination " + cf);
            }
            return o;
        }
    }
}
