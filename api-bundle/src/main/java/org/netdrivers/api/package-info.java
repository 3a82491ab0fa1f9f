/**
 * The netdrivers API: a uniform way to reach the network resources of a device.
 *
 * <p>A driver registers one {@link org.netdrivers.api.NetworkInterface} service per configured
 * endpoint; {@link org.netdrivers.api.NetworkInterface#connect()} opens a {@link
 * org.netdrivers.api.ByteStream}. The {@link org.netdrivers.api.StreamRegistry} service finds
 * endpoints by name or filter and exports them on listen addresses.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.netdrivers.api;
