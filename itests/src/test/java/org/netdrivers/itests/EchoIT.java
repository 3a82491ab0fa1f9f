package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The echo driver through {@code StreamRegistry.open(name)} and through a TCP export. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EchoIT extends NetdriversTestSupport {

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_ECHO);
    }

    @Test
    public void echoReturnsEveryChunkInOrderThenEndOfStream() throws Exception {
        configure(NetworkConstants.PID_ECHO, "chunks", Map.of(NetworkConstants.NETWORK_NAME, "echo-chunks"));
        awaitDriver("echo-chunks");
        try (ByteStream stream = await(registry.open("echo-chunks"))) {
            for (int i = 0; i < 100; i++) {
                send(stream, "chunk-" + i);
            }
            for (int i = 0; i < 100; i++) {
                assertEquals("chunk-" + i, receiveText(stream));
            }
            await(stream.sendEof());
            assertNull("end of stream after sendEof", receiveText(stream));
            assertNull("end of stream stays", receiveText(stream));
        }
    }

    @Test
    public void echoThroughTcpExportWithPlainSocket() throws Exception {
        int port = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "exported", Map.of(NetworkConstants.NETWORK_NAME, "echo-exported",
                NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
        awaitDriver("echo-exported");
        awaitExport("tcp://127.0.0.1:" + port);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) WAIT_MS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                String line = "line " + i + "\n";
                out.write(line.getBytes(StandardCharsets.UTF_8));
                expected.append(line);
            }
            out.flush();
            socket.shutdownOutput();
            String received = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals("every byte back, in order, then EOF", expected.toString(), received);
        }
    }
}
