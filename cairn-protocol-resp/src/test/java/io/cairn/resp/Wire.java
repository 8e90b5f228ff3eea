package io.cairn.resp;

import io.cairn.commands.DataCommands;
import io.cairn.api.service.CommandService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An in-memory connection: decoder + handler on an EmbeddedChannel, bytes in, bytes out. */
final class Wire {
    final RespRuntime rt;
    final RespConnection conn;
    final EmbeddedChannel ch;

    Wire(RespRuntime rt) {
        this(rt, null);
    }

    Wire(RespRuntime rt, java.net.SocketAddress remote) {
        this.rt = rt;
        this.conn = new RespConnection(rt);
        RespDecoder decoder = new RespDecoder(conn);
        conn.decoder(decoder);
        this.ch = remote == null ? new EmbeddedChannel(decoder, conn) : new RemoteEmbeddedChannel(remote, decoder, conn);
    }

    static RespRuntime runtime(RespSettings settings, CommandService service) {
        return runtime(settings, service, new TestContext());
    }

    static RespRuntime runtime(RespSettings settings, CommandService service, ServerContext context) {
        Commands commands = new Commands(DataCommands.specs(), Builtins.definitions());
        RespRuntime rt = new RespRuntime(service, commands, new RuntimeConfig(settings), context);
        rt.multiplexingApi = "embedded";
        return rt;
    }

    static RespSettings settings() {
        return RespSettings.defaults().withPort(0);
    }

    /** RESP array encoding of a command. */
    static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Sends raw bytes as one read and returns everything written back. */
    String raw(String bytes) {
        return send(bytes.getBytes(StandardCharsets.UTF_8));
    }

    String send(byte[] bytes) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        ch.runPendingTasks();
        return output();
    }

    /** One command, one read. */
    String cmd(String... args) {
        return send(command(args));
    }

    /** Several commands pipelined in one read. */
    String pipeline(String[]... commands) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String[] c : commands) {
            b.writeBytes(command(c));
        }
        return send(b.toByteArray());
    }

    /** Everything written so far, concatenated. */
    String output() {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b : outboundBuffers()) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    /** The individual writes (one per flush), to check batching. */
    List<ByteBuf> outboundBuffers() {
        ch.runPendingTasks();
        List<ByteBuf> out = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            if (b.isReadable()) {
                out.add(b);
            } else {
                b.release();
            }
        }
        return out;
    }

    boolean open() {
        ch.runPendingTasks();
        return ch.isOpen();
    }

    /** An EmbeddedChannel whose peer has a real address (for protected mode and CLIENT LIST). */
    static final class RemoteEmbeddedChannel extends EmbeddedChannel {
        private final java.net.SocketAddress remote;

        RemoteEmbeddedChannel(java.net.SocketAddress remote, io.netty.channel.ChannelHandler... handlers) {
            super(false, false, handlers);
            this.remote = remote;
            // Registration (and channelActive) happens after the remote address is known.
            register0();
        }

        private void register0() {
            try {
                register();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected java.net.SocketAddress remoteAddress0() {
            return remote;
        }
    }
}
