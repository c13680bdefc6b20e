package io.mcprouter.bench.jmh;

import akka.util.ByteString;
import io.mcprouter.child.LineSplitter;
import io.mcprouter.child.StdoutDecoder;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
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
 * JSON-RPC parse and encode of a {@code tools/call} request and its response, whose text is {@code
 * payloadChars} long (64 or 4096 characters, a newline every 80).
 *
 * <ul>
 *   <li>{@code parseRequest}: an HTTP body (ByteString) into a message, as the Streamable HTTP and
 *       SSE routes do;
 *   <li>{@code parseResponse}: a child's stdout line into a message;
 *   <li>{@code decodeStdoutLine}: the same through {@link StdoutDecoder}, the stage the stdout
 *       stream runs;
 *   <li>{@code encodeRequestLine}: a message into a stdin line (bytes + newline);
 *   <li>{@code encodeResponse}: a message into the compact JSON string an SSE event or JSON answer
 *       carries.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBench {

  @Param({"64", "4096"})
  public int payloadChars;

  private ByteString requestBody;
  private ByteString responseLine;
  private LineSplitter.Complete responseFrame;
  private JsonRpcMessage request;
  private JsonRpcMessage response;

  @Setup
  public void setUp() {
    String requestJson = Messages.toolsCallRequest(42, payloadChars, false);
    String responseJson = Messages.toolsCallResponse(42, payloadChars);
    requestBody = Messages.bytes(requestJson);
    responseLine = Messages.bytes(responseJson);
    responseFrame = new LineSplitter.Complete(responseLine);
    request = Messages.message(requestJson);
    response = Messages.message(responseJson);
    if (!(StdoutDecoder.decode(responseFrame) instanceof StdoutFrame.Message)) {
      throw new IllegalStateException("the response fixture does not decode");
    }
  }

  @Benchmark
  public JsonRpcCodec.Parsed parseRequest() {
    return JsonRpcCodec.parse(requestBody);
  }

  @Benchmark
  public JsonRpcCodec.Parsed parseResponse() {
    return JsonRpcCodec.parse(responseLine);
  }

  @Benchmark
  public StdoutFrame decodeStdoutLine() {
    return StdoutDecoder.decode(responseFrame);
  }

  @Benchmark
  public ByteString encodeRequestLine() {
    return JsonRpcCodec.encodeLine(request);
  }

  @Benchmark
  public String encodeResponse() {
    return JsonRpcCodec.encode(response);
  }
}
