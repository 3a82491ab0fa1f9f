package org.netdrivers.support.driver;

/** Makes a driver from a validated configuration, or says which field is wrong. */
@FunctionalInterface
public interface DriverFactory {
    ManagedDriver create(ConfigReader config, DriverSettings common) throws InvalidConfigurationException;
}
