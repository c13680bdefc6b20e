package io.mcprouter.bench.jmh;

import akka.util.ByteString;
import io.mcprouter.http.SseEncoding;
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
 * One JSON-RPC message of exactly {@code jsonBytes} bytes (64 or 4096) as a server-sent event.
 *
 * <ul>
 *   <li>{@code event}: {@code event: message} without an id, as the legacy SSE transport sends;
 *   <li>{@code eventWithId}: with an event id of the form a Streamable HTTP session sends (stream
 *       {@code r17}, event 42), so a client can resume;
 *   <li>{@code encodeAndEvent}: message to JSON string to event, all a session does per message.
 * </ul>
 *
 * <p>{@code SseEncoding.event} sizes its builder for an id of up to 11 characters; a longer one
 * makes it grow, copying the whole event once more.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SseBench {

  @Param({"64", "4096"})
  public int jsonBytes;

  private String json;
  private JsonRpcMessage message;

  @Setup
  public void setUp() {
    String head = "{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"text\":\"";
    String tail = "\"}}";
    json = head + "x".repeat(jsonBytes - head.length() - tail.length()) + tail;
    message = Messages.message(json);
    if (json.length() != jsonBytes || !JsonRpcCodec.encode(message).equals(json)) {
      throw new IllegalStateException("the fixture is not " + jsonBytes + " bytes of compact JSON");
    }
  }

  @Benchmark
  public ByteString event() {
    return SseEncoding.event("message", json);
  }

  @Benchmark
  public ByteString eventWithId() {
    return SseEncoding.event("message", "r17.42", json);
  }

  @Benchmark
  public ByteString encodeAndEvent() {
    return SseEncoding.event("message", JsonRpcCodec.encode(message));
  }

  /** What the SSE and Streamable outbounds do: Jackson's bytes framed without a copy. */
  @Benchmark
  public ByteString encodeAndJsonEvent() {
    return SseEncoding.jsonEvent("message", "r17.42", JsonRpcCodec.encodeBytes(message));
  }
}
