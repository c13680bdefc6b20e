package io.mcprouter.bench.jmh;

import akka.util.ByteString;
import io.mcprouter.child.LineSplitter;
import io.mcprouter.child.StdoutDecoder;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.http.SseEncoding;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.RoutingForBenchmarks;
import io.mcprouter.routing.SessionRouting;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Everything the router computes for one {@code tools/call} on a shared child, minus Akka: the HTTP
 * body parsed, routed (id rewritten) and encoded as a stdin line; the child's stdout chunk split,
 * decoded, routed back (id restored), encoded and framed as an SSE event with an id (Streamable
 * HTTP). Compare with the router CPU per call that {@code bench/run.sh} measures to see what the
 * actors, streams and HTTP cost on top.
 *
 * <p>The stdout line carries a fixed id, so after decoding it is re-addressed to the id the child
 * was actually sent (a 24-byte record), as the echo server would have written it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HotPathBench {

  @Param({"64", "4096"})
  public int payloadChars;

  private final Messages.LastMessageRecipients out = new Messages.LastMessageRecipients();
  private SessionRouting multiplexer;
  private LineSplitter splitter;
  private ByteString requestBody;
  private ByteString stdoutChunk;

  @Setup
  public void setUp() {
    multiplexer = RoutingForBenchmarks.multiplexer();
    Messages.initialize(multiplexer, out);
    splitter = new LineSplitter(16 * 1024 * 1024);
    requestBody = Messages.bytes(Messages.toolsCallRequest(42, payloadChars, false));
    stdoutChunk = Messages.bytes(Messages.toolsCallResponse(1, payloadChars) + "\n");
    String event = toolsCall().utf8String();
    if (!event.startsWith(
            "id: s.1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":42,\"result\":")
        || multiplexer.inFlight() != 0) {
      throw new IllegalStateException("the cycle did not answer the client's id: " + event);
    }
  }

  @Benchmark
  public ByteString toolsCall() {
    // client -> child
    JsonRpcMessage request = ((JsonRpcCodec.Ok) JsonRpcCodec.parse(requestBody)).message();
    multiplexer.fromClient(Messages.SESSION, request, out);
    JsonRpcMessage.Request sent = (JsonRpcMessage.Request) out.toChild;
    ByteString stdinLine = JsonRpcCodec.encodeLine(sent);
    // child -> client
    List<LineSplitter.Line> lines = splitter.feed(stdoutChunk);
    JsonRpcMessage.Response answer =
        (JsonRpcMessage.Response)
            ((StdoutFrame.Message) StdoutDecoder.decode(lines.get(0))).message();
    multiplexer.fromChild(
        new JsonRpcMessage.Response(sent.id(), answer.result(), answer.error()), out);
    ByteString event =
        SseEncoding.jsonEvent("message", "s.1", JsonRpcCodec.encodeBytes(out.toSession));
    return stdinLine.size() > 0 ? event : null;
  }
}
