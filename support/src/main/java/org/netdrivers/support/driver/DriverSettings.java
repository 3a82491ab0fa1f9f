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
        String badName = nameProblem(name);
        if (badName != null) {
            throw config.invalid(NetworkConstants.NETWORK_NAME, badName);
        }
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

    /** At most this many characters in a {@code network.name}. */
    public static final int MAX_NAME = 200;

    /**
     * @return null for a valid {@code network.name} (at most {@link #MAX_NAME} letters, digits,
     *         {@code .}, {@code _} and {@code -}; {@code /} separates a runtime's name from an
     *         endpoint's elsewhere), else what is wrong, quoting at most 40 characters of it
     */
    public static String nameProblem(String name) {
        String shown = name.length() > 40 ? "\"" + name.substring(0, 40) + "...\" (" + name.length() + " characters)" : "\"" + name + "\"";
        if (name.length() > MAX_NAME) {
            return shown + " is longer than " + MAX_NAME + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
                return shown + " holds '" + (c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c))
                        + "': a name is letters, digits, '.', '_' and '-'";
            }
        }
        return null;
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
