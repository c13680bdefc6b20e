package io.mcprouter.child;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.japi.Pair;
import akka.japi.function.Function;
import akka.japi.function.Function2;
import akka.stream.ActorAttributes;
import akka.stream.BoundedSourceQueue;
import akka.stream.QueueOfferResult;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.stream.typed.javadsl.ActorSink;
import akka.util.ByteString;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongConsumer;
import org.slf4j.Logger;

/**
 * The Akka Streams plumbing of one child's stdio. Pipe reads and writes block, so those stages run
 * on the blocking dispatcher; framing and JSON parsing happen on the stream, the actor only routes.
 *
 * <pre>
 * stdout -> LineSplitter (bounded) -> StdoutDecoder -> ActorSink with ack (a flooding child blocks on its pipe)
 *           (the lines of one read go to the actor as one batch: one ack round trip per read, not per line)
 * actor  -> BoundedSourceQueue (offer says at once if it is full) -> encode line -> stdin
 * stderr -> LineSplitter -> log line + StderrTail
 * </pre>
 */
public final class StdioConnection {

  /** What the server actor holds of a running child's stdio; used from the actor only. */
  public static final class Handle {
    private final BoundedSourceQueue<JsonRpcMessage> stdin;
    private final CompletionStage<Done> stdoutDone;
    private final CompletionStage<Done> stderrDone;
    private volatile boolean stdinClosed;
    private volatile boolean broken;

    Handle(
        BoundedSourceQueue<JsonRpcMessage> stdin,
        CompletionStage<Done> stdoutDone,
        CompletionStage<Done> stderrDone) {
      this.stdin = stdin;
      this.stdoutDone = stdoutDone;
      this.stderrDone = stderrDone;
    }

    /**
     * A handle whose stdin is a queue the caller reads, and whose pipes never end: what a test puts
     * where a child's stdio would be.
     */
    public static Handle over(BoundedSourceQueue<JsonRpcMessage> stdin) {
      return new Handle(stdin, new CompletableFuture<>(), new CompletableFuture<>());
    }

    /** Completes when the child's stdout has ended (its last frames may still be on their way). */
    public CompletionStage<Done> stdoutDone() {
      return stdoutDone;
    }

    /** Completes when every stderr line has been logged and kept: error reports wait for it. */
    public CompletionStage<Done> stderrDone() {
      return stderrDone;
    }

    /** False when the buffer is full or stdin is closed: the caller must answer for the message. */
    public boolean offer(JsonRpcMessage message) {
      if (stdinClosed || broken) {
        return false;
      }
      QueueOfferResult result = stdin.offer(message);
      if (result == QueueOfferResult.enqueued()) {
        return true;
      }
      if (result != QueueOfferResult.dropped()) {
        broken = true; // closed or failed: the pipe is gone, not merely full
      }
      return false;
    }

    /** Messages offered and not yet taken by the stream that writes stdin (approximate). */
    public int queued() {
      return stdin.size();
    }

    /**
     * True once stdin takes nothing more (closed by the router, or its pipe broke): a refused
     * message then says the child is going, not that it is busy.
     */
    public boolean gone() {
      return stdinClosed || broken;
    }

    /** EOF for the child once what is buffered is written; safe to call again. */
    public void closeStdin() {
      if (!stdinClosed) {
        stdinClosed = true;
        try {
          stdin.complete();
        } catch (IllegalStateException alreadyFailed) {
          // the pipe broke first (the child exited): there is nothing left to close
        }
      }
    }
  }

  private static final int STDERR_MAX_LINE = 8 * 1024;

  private StdioConnection() {}

  /**
   * Runs the three streams; {@code ackFrame}, {@code init}, {@code completed} and {@code failed}
   * build the messages of the actor's private stdout protocol; {@code stdinBytes} is told each
   * line's length as it goes to stdin (on the stream's thread).
   */
  public static <M, A> Handle start(
      Process process,
      RouterSettings settings,
      ActorSystem<?> system,
      ActorRef<M> actor,
      Function2<ActorRef<A>, List<StdoutFrame>, M> frames,
      Function<ActorRef<A>, M> init,
      A ack,
      M completed,
      Function<Throwable, M> failed,
      LongConsumer stdinBytes,
      StderrTail stderrTail,
      Logger log,
      String logPrefix) {
    var blocking = ActorAttributes.dispatcher(settings.blockingDispatcher());

    CompletionStage<Done> stdoutDone =
        StreamConverters.fromInputStream(process::getInputStream)
            .withAttributes(blocking)
            .via(lineBatches(settings.maxLineBytes()))
            .filter(batch -> !batch.isEmpty())
            .map(
                batch ->
                    batch.stream()
                        .map(line -> StdoutDecoder.decode(line, settings.json()))
                        .toList())
            .watchTermination(Keep.right())
            .to(ActorSink.actorRefWithBackpressure(actor, frames, init, ack, completed, failed))
            .run(system);

    BoundedSourceQueue<JsonRpcMessage> stdin =
        Source.<JsonRpcMessage>queue(settings.stdinBufferMessages())
            .map(
                message -> {
                  ByteString line = JsonRpcCodec.encodeLine(message);
                  stdinBytes.accept(line.size());
                  return line;
                })
            .to(
                StreamConverters.fromOutputStream(process::getOutputStream, true)
                    .withAttributes(blocking))
            .run(system);

    CompletionStage<Done> stderrDone =
        StreamConverters.fromInputStream(process::getErrorStream)
            .withAttributes(blocking)
            .via(lines(STDERR_MAX_LINE))
            .map(
                line ->
                    line instanceof LineSplitter.Complete c
                        ? c.bytes().utf8String()
                        : "<stderr line of "
                            + ((LineSplitter.Oversized) line).length()
                            + " bytes skipped>")
            .toMat(
                Sink.foreach(
                    line -> {
                      stderrTail.add(line);
                      log.info("{} stderr: {}", logPrefix, line);
                    }),
                Keep.right())
            .run(system);

    return new Handle(stdin, stdoutDone, stderrDone);
  }

  /** Bounded line framing as a flow; a partial last line is emitted at end of stream. */
  static Flow<ByteString, LineSplitter.Line, akka.NotUsed> lines(int maxLineBytes) {
    return lineBatches(maxLineBytes).mapConcat(lines -> lines);
  }

  /** The lines completed by each chunk read (often none, often several). */
  static Flow<ByteString, List<LineSplitter.Line>, akka.NotUsed> lineBatches(int maxLineBytes) {
    return Flow.<ByteString>create()
        .statefulMap(
            () -> new LineSplitter(maxLineBytes),
            (splitter, chunk) -> Pair.create(splitter, splitter.feed(chunk)),
            splitter -> Optional.of(splitter.finish()));
  }
}
