/**
 * The runtime's I/O threads, shared by the registry and the drivers of sockets.
 *
 * <p>An {@link org.netdrivers.io.IoThreads} service owns a fixed set of Apache Mina processors
 * and of {@link org.netdrivers.io.SelectorLoop}s for JDK channels, one thread each. The
 * registry's TCP acceptors and Unix listeners and the TCP, UDP and Unix drivers use them instead
 * of threads of their own; a driver stream opened from one of these threads joins that thread, so
 * that an export connection and the driver stream that serves it have one owner, and
 * {@link org.netdrivers.io.IoThreads#relay} copies between them on that thread. Updating a driver
 * bundle does not stop these threads. {@link org.netdrivers.io.EventCounter} keeps the log of an
 * event flood on those threads to a few counted lines.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package org.netdrivers.io;
