package org.netdrivers.support.nio;

import static org.junit.Assert.assertEquals;

import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.stream.Delays;

/** Connects over loopback TCP on a selector loop: a connect that completed keeps nothing waiting for its timeout. */
public class NioConnectTest {

    @Test
    public void aCompletedConnectLeavesNoTimeoutWaitingAndHoldsNoChannel() throws Exception {
        int connects = 200;
        List<WeakReference<SocketChannel>> closed = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), connects);
            SelectorLoop loop = new SelectorLoop("nio-connect-test", SelectorProvider.provider());
            try {
                for (int i = 0; i < connects; i++) {
                    SocketChannel ch = NioConnect.connect(loop, SocketChannel::open, server.getLocalAddress(), 60_000)
                            .get(10, TimeUnit.SECONDS);
                    server.accept().close();
                    ch.close();
                    closed.add(new WeakReference<>(ch));
                }
                // a connect's caller wakes before the loop's thread has run the connect's other
                // completion actions (the timeout's cancel among them): once the loop has run a
                // task queued after them, the last connect's are done too
                CompletableFuture.runAsync(() -> { }, loop::execute).get(10, TimeUnit.SECONDS);
                assertEquals("timeouts still waiting for connects that completed", 0, Delays.pending());
                // the loop deregisters a closed channel at its next select; then nothing should hold it
                for (int i = 0; i < 50 && closed.stream().anyMatch(r -> r.get() != null); i++) {
                    System.gc();
                    Thread.sleep(100);
                }
                assertEquals("closed channels still held (by their connects' timeouts, 60 s)", 0,
                        closed.stream().filter(r -> r.get() != null).count());
            } finally {
                loop.execute(loop::close);
            }
        }
    }
}
