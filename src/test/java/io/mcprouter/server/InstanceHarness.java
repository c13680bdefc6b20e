package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import akka.stream.BoundedSourceQueue;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StdioConnection;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One {@link ServerInstance} whose OS processes are played by the test: the {@link ChildLauncher}
 * seam hands out a probe for each generation and keeps what a real child would need to talk back
 * (its reports ref and its stdout target), so a test decides when a child starts, what it writes
 * and when it exits.
 */
final class InstanceHarness {

  /** What the instance handed to the launcher for one generation. */
  record Launch(
      int generation,
      ChildProcess.StdoutTarget<?, ?> stdout,
      ActorRef<ChildProcess.Report> reports) {}

  /** A client session on the instance: what its client receives, and how its stream ended. */
  record Session(String id, TestProbe<JsonRpcMessage> received, TestProbe<String> ends) {}

  private static final AtomicLong ids = new AtomicLong();
  private static final Duration WAIT = Duration.ofSeconds(5);

  final TestProbe<ChildProcess.Command> child;
  final TestProbe<ServerInstance.Lifecycle> lifecycle;
  final ActorRef<ServerInstance.Command> instance;
  final String key;
  private final ActorTestKit testKit;
  private final TestProbe<Object> acks;
  private final BlockingQueue<Launch> launches = new LinkedBlockingQueue<>();

  InstanceHarness(ActorTestKit testKit, RouterSettings settings, boolean shared, boolean startNow) {
    this(testKit, settings, spec(shared, Optional.empty(), Optional.empty()), startNow);
  }

  InstanceHarness(
      ActorTestKit testKit, RouterSettings settings, ServerSpec spec, boolean startNow) {
    this(testKit, settings, spec, startNow, System::nanoTime);
  }

  /**
   * {@code clock}: what the instance measures deadlines and idleness with (a test's virtual clock).
   */
  InstanceHarness(
      ActorTestKit testKit,
      RouterSettings settings,
      ServerSpec spec,
      boolean startNow,
      LongSupplier clock) {
    this.testKit = testKit;
    this.key = spec.key();
    this.child = testKit.createTestProbe();
    this.lifecycle = testKit.createTestProbe();
    this.acks = testKit.createTestProbe();
    ChildLauncher launcher =
        (generation, stderrTail, stdout, stdinBytes, reports) -> {
          launches.add(new Launch(generation, stdout, reports));
          return Behaviors.monitor(ChildProcess.Command.class, child.getRef(), Behaviors.ignore());
        };
    this.instance =
        testKit.spawn(
            ServerInstance.create(
                spec,
                settings,
                lifecycle.getRef(),
                StartPermits.unlimited(),
                startNow,
                launcher,
                clock));
  }

  /**
   * A spec whose command is never run; {@code requestTimeout} and {@code idleTimeout} as a key may
   * set them. Its child is a 2025-era one the router does not ask its era (the probe has tests of
   * its own), so the test's first line on stdin is what a session sent.
   */
  static ServerSpec spec(
      boolean shared, Optional<Duration> requestTimeout, Optional<Duration> idleTimeout) {
    return new ServerSpec(
            "probe-" + ids.incrementAndGet(),
            "not run: the test plays the child",
            shared,
            Map.of(),
            Optional.empty(),
            Optional.empty(),
            requestTimeout,
            idleTimeout)
        .withProtocol(ServerSpec.ChildProtocol.LEGACY);
  }

  /** The launcher's next call; the instance spawns its children on its own thread. */
  Launch awaitLaunch(int generation) throws InterruptedException {
    Launch launch = launches.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(launch, "the launcher was not called for generation " + generation);
    assertEquals(generation, launch.generation(), "the generation the launcher was asked for");
    return launch;
  }

  /**
   * No further generation was launched (checked after the instance has answered a status request).
   */
  void assertNoLaunch() {
    status();
    assertEquals(List.of(), List.copyOf(launches), "no further child was launched");
  }

  /** The child reports it started; returns the probe that sees everything written to its stdin. */
  TestProbe<JsonRpcMessage> started(Launch launch, long pid) {
    TestProbe<JsonRpcMessage> stdin = testKit.createTestProbe();
    BoundedSourceQueue<JsonRpcMessage> queue =
        Source.<JsonRpcMessage>queue(64)
            .to(Sink.foreach(stdin.getRef()::tell))
            .run(testKit.system());
    launch
        .reports()
        .tell(
            new ChildProcess.Started(launch.generation(), pid, StdioConnection.Handle.over(queue)));
    return stdin;
  }

  /**
   * The child writes {@code message} on stdout; the instance acks the frame as the stream would
   * need.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void writes(Launch launch, JsonRpcMessage message) throws Exception {
    ChildProcess.StdoutTarget target = launch.stdout();
    Object frames = target.frames().apply(acks.getRef(), List.of(new StdoutFrame.Message(message)));
    target.actor().tell(frames);
    acks.receiveMessage(WAIT);
  }

  void exits(Launch launch, int code) {
    launch
        .reports()
        .tell(
            new ChildProcess.Exited(
                launch.generation(), Optional.of(code), Optional.empty(), false));
  }

  /**
   * The child's stdout stream ended (after its last frames), as the stream's completion tells the
   * instance.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void stdoutEnds(Launch launch) {
    ChildProcess.StdoutTarget target = launch.stdout();
    target.actor().tell(target.completed());
  }

  Session open() {
    TestProbe<JsonRpcMessage> received = testKit.createTestProbe();
    TestProbe<String> ends = testKit.createTestProbe();
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    String id = "session-" + ids.incrementAndGet();
    instance.tell(
        new ServerInstance.OpenSession(
            id,
            new ProbeOutbound(received.getRef(), ends.getRef()),
            Optional.empty(),
            reply.getRef()));
    reply.expectMessageClass(ServerInstance.SessionOpened.class, WAIT);
    return new Session(id, received, ends);
  }

  /** Returns the probe of the delivery's reply, which may come later (a stashed message). */
  TestProbe<ServerInstance.DeliverReply> deliver(Session session, JsonRpcMessage message) {
    TestProbe<ServerInstance.DeliverReply> reply = testKit.createTestProbe();
    instance.tell(new ServerInstance.Deliver(session.id(), message, reply.getRef()));
    return reply;
  }

  void deliverAccepted(Session session, JsonRpcMessage message) {
    deliver(session, message).expectMessage(WAIT, ServerInstance.Accepted.INSTANCE);
  }

  /** A round trip: everything told to the instance before it has been handled. */
  ServerInstance.Status status() {
    TestProbe<ServerInstance.Status> reply = testKit.createTestProbe();
    instance.tell(new ServerInstance.GetStatus(reply.getRef()));
    return reply.receiveMessage(WAIT);
  }

  /** The next lifecycle report of this type; reports of other types before it are skipped. */
  <T extends ServerInstance.Lifecycle> T awaitLifecycle(Class<T> type) {
    List<ServerInstance.Lifecycle> seen =
        lifecycle.fishForMessage(
            WAIT,
            "a " + type.getSimpleName(),
            report ->
                type.isInstance(report)
                    ? FishingOutcomes.complete()
                    : FishingOutcomes.continueAndIgnore());
    return type.cast(seen.get(seen.size() - 1));
  }

  /** The stdin message of this type, after checking it is the next one written. */
  static <T extends JsonRpcMessage> T next(TestProbe<JsonRpcMessage> stdin, Class<T> type) {
    JsonRpcMessage message = stdin.receiveMessage(WAIT);
    if (!type.isInstance(message)) {
      throw new AssertionError("expected a " + type.getSimpleName() + " on stdin, got " + message);
    }
    return type.cast(message);
  }

  static JsonRpcMessage.Request request(int id, String method) {
    return new JsonRpcMessage.Request(
        IntNode.valueOf(id), method, JsonRpcCodec.MAPPER.createObjectNode());
  }

  static JsonRpcMessage.Request initialize(int id) {
    ObjectNode params = JsonRpcCodec.MAPPER.createObjectNode().put("protocolVersion", "2025-06-18");
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "test").put("version", "1");
    return new JsonRpcMessage.Request(IntNode.valueOf(id), "initialize", params);
  }

  static JsonRpcMessage.Notification initialized() {
    return new JsonRpcMessage.Notification("notifications/initialized", null);
  }

  static JsonRpcMessage.Response initializeResult(JsonNode id) {
    ObjectNode result = JsonRpcCodec.MAPPER.createObjectNode().put("protocolVersion", "2025-06-18");
    result.putObject("capabilities").putObject("tools");
    result.putObject("serverInfo").put("name", "probe").put("version", "1");
    return JsonRpcMessage.success(id, result);
  }

  static JsonRpcMessage.Response answer(JsonNode id) {
    return JsonRpcMessage.success(id, JsonRpcCodec.MAPPER.createObjectNode().put("answered", true));
  }

  /** The next message the session's client gets must be the response with this id. */
  static JsonRpcMessage.Response response(Session session, int id) {
    JsonRpcMessage message = session.received().receiveMessage(WAIT);
    if (!(message instanceof JsonRpcMessage.Response response) || response.id().asInt() != id) {
      throw new AssertionError("expected the response to request " + id + ", got " + message);
    }
    return response;
  }
}
