/**
 * The runtime's I/O threads, shared by the registry and the drivers of sockets.
 *
 * <p>An {@link org.netdrivers.io.IoThreads} service owns a fixed set of Apache Mina processors,
 * one thread each. The registry's TCP acceptors and the TCP and UDP drivers' connectors use them
 * instead of processors of their own; a driver session opened from one of these threads joins
 * that thread, so that an export connection and the driver session that serves it have one owner,
 * and {@link org.netdrivers.io.IoThreads#relay} copies between them on that thread. Updating a
 * driver bundle does not stop these threads.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.netdrivers.io;
