package org.netdrivers.support.driver;

import org.netdrivers.support.net.ListenAddress;

import java.util.Optional;

import org.netdrivers.api.NetworkConstants;

/** The configuration fields every driver has: {@code network.name} and {@code network.export}. */
public final class DriverSettings {
    private final String type;
    private final String name;
    private final String pid;
    private final Optional<String> export;

    private DriverSettings(String type, String name, String pid, Optional<String> export) {
        this.type = type;
        this.name = name;
        this.pid = pid;
        this.export = export;
    }

    /** The common fields of {@code config}, for a driver of {@code type}; its first invalid field is named. */
    public static DriverSettings read(ConfigReader config, String type) throws InvalidConfigurationException {
        String name = config.requiredString(NetworkConstants.NETWORK_NAME);
        String exportText = config.optionalString(NetworkConstants.NETWORK_EXPORT, null);
        Optional<String> export = Optional.empty();
        if (exportText != null) {
            try {
                export = Optional.of(ListenAddress.parse(exportText).toString());
            } catch (IllegalArgumentException e) {
                throw config.invalid(NetworkConstants.NETWORK_EXPORT, e.getMessage());
            }
        }
        return new DriverSettings(type, name, config.pid(), export);
    }

    public String type() {
        return type;
    }

    public String name() {
        return name;
    }

    public String pid() {
        return pid;
    }

    public Optional<String> export() {
        return export;
    }

    /** "tcp driver 'dut'", for messages. */
    public String describe() {
        return type + " driver '" + name + "'";
    }
}
