package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** A client that outruns a slow peer through an export is held back; the registry's buffer stays bounded. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BackpressureIT extends NetdriversTestSupport {
    private static final long SIZE = 256L * 1024 * 1024;

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP);
    }

    @Test
    public void exportHoldsAtMostItsBoundWhileThePeerReadsSlowly() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = FreePort.find();
            String listen = "tcp://127.0.0.1:" + port;
            configure(NetworkConstants.PID_TCP, "slow", Map.of(NetworkConstants.NETWORK_NAME, "slow",
                    "host", "127.0.0.1", "port", peer.getLocalPort(), NetworkConstants.NETWORK_EXPORT, listen));
            awaitExport(listen);

            AtomicLong written = new AtomicLong();
            Future<String> reader = Payload.THREADS.submit(() -> {
                try (Socket s = peer.accept()) {
                    Thread.sleep(1500); // not reading at all: every buffer on the way fills up
                    InputStream in = s.getInputStream();
                    MessageDigest d = Payload.sha256();
                    byte[] buf = new byte[16 * 1024];
                    long count = 0;
                    int reads = 0;
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        d.update(buf, 0, n);
                        count += n;
                        if (++reads % 64 == 0) {
                            Thread.sleep(1); // slower than the writer
                        }
                    }
                    return count + ":" + Payload.hex(d);
                }
            });
            Future<String> writer = Payload.THREADS.submit(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    java.io.OutputStream out = new java.io.FilterOutputStream(s.getOutputStream()) {
                        @Override
                        public void write(byte[] b, int off, int len) throws java.io.IOException {
                            out.write(b, off, len);
                            written.addAndGet(len);
                        }
                    };
                    String sha = Payload.write(out, 7, SIZE);
                    s.shutdownOutput();
                    s.getInputStream().read(); // wait for the peer to finish
                    return SIZE + ":" + sha;
                }
            });
            Thread.sleep(1200);
            long writtenWhilePaused = written.get();
            long peak = 0;
            while (!writer.isDone()) {
                peak = Math.max(peak, export(listen).maxBytesInFlight());
                Thread.sleep(20);
            }
            String sent = writer.get(120, TimeUnit.SECONDS);
            assertEquals("every byte arrived, in order", sent, reader.get(120, TimeUnit.SECONDS));
            StreamRegistry.Export x = export(listen);
            peak = Math.max(peak, x.maxBytesInFlight());
            System.out.printf("backpressure: client wrote %d bytes while the peer did not read; registry peak in flight %d of bound %d%n",
                    writtenWhilePaused, peak, x.inFlightLimit());
            assertTrue("the registry held some bytes (the measure works): " + peak, peak > 0);
            assertTrue("peak in flight " + peak + " <= bound " + x.inFlightLimit(), peak <= x.inFlightLimit());
            assertTrue("the client was held back while the peer did not read: " + writtenWhilePaused + " bytes",
                    writtenWhilePaused < 64L * 1024 * 1024);
        }
    }
}
