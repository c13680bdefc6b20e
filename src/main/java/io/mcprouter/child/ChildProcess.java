package io.mcprouter.child;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.japi.function.Function;
import akka.japi.function.Function2;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * One operating-system process of a server (one generation): launched off-thread, its stdio wired,
 * its exit and pipe drain awaited, SIGTERM then SIGKILL when asked to go, and its whole tree killed
 * when this actor stops for any reason. A child of its server instance, so "no orphan" holds by
 * construction: whatever ends the instance ends this actor, and this actor's end ends the process.
 *
 * <p>Stdout does not pass through here: its frames go straight from the stream to the instance (the
 * {@link StdoutTarget}), and the instance offers to stdin itself through the {@link Started}
 * handle.
 */
public final class ChildProcess extends AbstractBehavior<ChildProcess.Command> {

  public sealed interface Command {}

  /**
   * EOF on stdin (the MCP stdio way of asking a server to exit); SIGTERM follows after the grace
   * period.
   */
  public enum CloseStdin implements Command {
    INSTANCE
  }

  public enum Termination {
    /** SIGTERM now, SIGKILL after the kill period. */
    GRACEFULLY,
    /** SIGKILL now. */
    NOW
  }

  public record Terminate(Termination how) implements Command {}

  /** What this actor tells its instance. */
  public sealed interface Report {}

  public record Started(int generation, long pid, StdioConnection.Handle stdin) implements Report {}

  /**
   * The process is gone and its pipes are drained (or the drain limit passed); {@code
   * launchFailure} when it never started. {@code stdoutDrained}: its stdout stream has ended, so
   * the instance's stdout sink reports its end after the last frames (the instance waits for that
   * before it fails what is in flight: a child's last answers are routed first). This actor stops
   * right after sending it.
   */
  public record Exited(
      int generation,
      Optional<Integer> exitCode,
      Optional<String> launchFailure,
      boolean stdoutDrained)
      implements Report {}

  /** Where stdout frames go, and the messages of the receiver's acked stdout protocol. */
  public record StdoutTarget<M, A>(
      ActorRef<M> actor,
      Function2<ActorRef<A>, List<StdoutFrame>, M> frames,
      Function<ActorRef<A>, M> init,
      A ack,
      M completed,
      Function<Throwable, M> failed) {}

  private record Launched(Process process) implements Command {}

  private record LaunchFailed(String reason) implements Command {}

  private record ProcessExited(int exitCode) implements Command {}

  private enum Pipe implements Command {
    STDOUT_DRAINED,
    STDERR_DRAINED
  }

  private enum Timer implements Command {
    GRACE,
    KILL,
    EXIT_DRAIN
  }

  public static Behavior<Command> create(
      ServerSpec spec,
      RouterSettings settings,
      int generation,
      StderrTail stderrTail,
      StdoutTarget<?, ?> stdout,
      LongConsumer stdinBytes,
      ActorRef<Report> instance) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context ->
                    new ChildProcess(
                        context,
                        timers,
                        spec,
                        settings,
                        generation,
                        stderrTail,
                        stdout,
                        stdinBytes,
                        instance)));
  }

  private final TimerScheduler<Command> timers;
  private final ServerSpec spec;
  private final RouterSettings settings;
  private final int generation;
  private final StderrTail stderrTail;
  private final StdoutTarget<?, ?> stdout;
  private final LongConsumer stdinBytes;
  private final ActorRef<Report> instance;
  private final Executor blocking;

  /**
   * The {@link ChildMarkers} instance this launch carries: how its escaped descendants are found.
   */
  private final String marker = ChildMarkers.newInstance();

  /** Set when this actor stops: a launch that completes afterwards kills what it started. */
  private final AtomicBoolean ended = new AtomicBoolean();

  /**
   * Set by the launch itself, before its message arrives: what PostStop must kill if it comes
   * first.
   */
  private final AtomicReference<Process> launchedProcess = new AtomicReference<>();

  private Process process;
  private StdioConnection.Handle stdio;
  private Integer exitCode;
  private boolean stdoutDrained;
  private boolean stderrDrained;
  private boolean stdinClosed;
  private boolean terminateWhenLaunched;

  private ChildProcess(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ServerSpec spec,
      RouterSettings settings,
      int generation,
      StderrTail stderrTail,
      StdoutTarget<?, ?> stdout,
      LongConsumer stdinBytes,
      ActorRef<Report> instance) {
    super(context);
    this.timers = timers;
    this.spec = spec;
    this.settings = settings;
    this.generation = generation;
    this.stderrTail = stderrTail;
    this.stdout = stdout;
    this.stdinBytes = stdinBytes;
    this.instance = instance;
    this.blocking =
        context
            .getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher()));
    ChildEnvironment environment = new ChildEnvironment(settings.childEnvDeny());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(() -> launch(environment), blocking),
        (started, failure) ->
            failure == null ? new Launched(started) : new LaunchFailed(rootMessage(failure)));
  }

  private Process launch(ChildEnvironment environment) {
    Process started;
    try {
      started = ProcessTree.start(spec, marker, environment);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    launchedProcess.set(started);
    if (ended.get()) {
      // its actor stopped while this launch ran: nobody will ever own this process
      ProcessTree.signal(started.pid(), marker, true);
    }
    return started;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Launched.class, this::onLaunched)
        .onMessage(LaunchFailed.class, this::onLaunchFailed)
        .onMessageEquals(CloseStdin.INSTANCE, this::onCloseStdin)
        .onMessage(Terminate.class, this::onTerminate)
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessage(Pipe.class, this::onPipeDrained)
        .onMessage(Timer.class, this::onTimer)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Behavior<Command> onLaunched(Launched launched) {
    process = launched.process();
    getContext()
        .getLog()
        .info(
            "server started key={} pid={} shared={}",
            spec.key(),
            process.pid(),
            spec.shareProcess());
    StdoutTarget target = stdout;
    stdio =
        StdioConnection.start(
            process,
            settings,
            getContext().getSystem(),
            target.actor(),
            target.frames(),
            target.init(),
            target.ack(),
            target.completed(),
            target.failed(),
            stdinBytes,
            stderrTail,
            getContext().getLog(),
            "key=" + spec.key() + " pid=" + process.pid());
    getContext().pipeToSelf(stdio.stdoutDone(), (done, failure) -> Pipe.STDOUT_DRAINED);
    getContext().pipeToSelf(stdio.stderrDone(), (done, failure) -> Pipe.STDERR_DRAINED);
    getContext()
        .pipeToSelf(process.onExit(), (exited, failure) -> new ProcessExited(exited.exitValue()));
    instance.tell(new Started(generation, process.pid(), stdio));
    if (terminateWhenLaunched) {
      signal(true); // asked to go before the launch completed
      stdio.closeStdin();
    } else if (stdinClosed) {
      stdio.closeStdin();
    }
    return this;
  }

  private Behavior<Command> onLaunchFailed(LaunchFailed failed) {
    getContext()
        .getLog()
        .error("server failed to start key={} reason={}", spec.key(), failed.reason());
    instance.tell(new Exited(generation, Optional.empty(), Optional.of(failed.reason()), true));
    return Behaviors.stopped();
  }

  private Behavior<Command> onCloseStdin() {
    if (!stdinClosed) {
      stdinClosed = true;
      if (stdio != null) {
        stdio.closeStdin();
      }
      timers.startSingleTimer(Timer.GRACE, settings.gracePeriod());
    }
    return this;
  }

  private Behavior<Command> onTerminate(Terminate terminate) {
    if (process == null) {
      terminateWhenLaunched =
          true; // the launch is still running: it ends at once when it completes
      return this;
    }
    if (exitCode != null) {
      return this;
    }
    if (terminate.how() == Termination.NOW) {
      signal(true);
      stdio.closeStdin();
    } else {
      signal(false);
      timers.startSingleTimer(Timer.KILL, settings.killPeriod());
    }
    return this;
  }

  private Behavior<Command> onTimer(Timer timer) {
    if (exitCode != null && timer != Timer.EXIT_DRAIN) {
      return this;
    }
    switch (timer) {
      case GRACE -> {
        if (process != null) {
          getContext()
              .getLog()
              .info(
                  "key={} pid={} still running after stdin closed; sending SIGTERM",
                  spec.key(),
                  process.pid());
          signal(false);
        }
        timers.startSingleTimer(Timer.KILL, settings.killPeriod());
      }
      case KILL -> {
        if (process != null) {
          getContext()
              .getLog()
              .warn("key={} pid={} ignored SIGTERM; sending SIGKILL", spec.key(), process.pid());
          signal(true);
        } else {
          timers.startSingleTimer(Timer.KILL, settings.killPeriod()); // still launching
        }
      }
      case EXIT_DRAIN -> {
        return exited();
      }
    }
    return this;
  }

  private Behavior<Command> onProcessExited(ProcessExited exited) {
    exitCode = exited.exitCode();
    timers.cancel(Timer.GRACE);
    timers.cancel(Timer.KILL);
    // whatever the group left behind may hold the stdout pipe open; nothing of it is wanted now
    signal(true);
    // the error report names the exit code and the last stderr lines: wait for both pipes to drain
    if (stdoutDrained && stderrDrained) {
      return exited();
    }
    timers.startSingleTimer(Timer.EXIT_DRAIN, settings.exitDrain());
    return this;
  }

  private Behavior<Command> onPipeDrained(Pipe pipe) {
    if (pipe == Pipe.STDOUT_DRAINED) {
      stdoutDrained = true;
      if (exitCode == null && !stdinClosed) {
        // a server that closes stdout can no longer answer: end it rather than leave requests
        // hanging
        getContext()
            .getLog()
            .warn("key={} closed its stdout while running; stopping it", spec.key());
        signal(true);
      }
    } else {
      stderrDrained = true;
    }
    return exitCode != null && stdoutDrained && stderrDrained ? exited() : this;
  }

  private Behavior<Command> exited() {
    getContext()
        .getLog()
        .debug("key={} pid={} exited with code {}", spec.key(), process.pid(), exitCode);
    instance.tell(
        new Exited(generation, Optional.ofNullable(exitCode), Optional.empty(), stdoutDrained));
    return Behaviors.stopped();
  }

  private void signal(boolean forcibly) {
    long pid = process.pid();
    CompletableFuture.runAsync(() -> ProcessTree.signal(pid, marker, forcibly), blocking);
  }

  /**
   * Last line of defence: nothing may outlive this actor. Synchronous when the process may still
   * run (a /proc scan, once per child lifetime): at router shutdown the blocking dispatcher may
   * already be gone, and an asynchronous kill that never runs would leave an orphan. After an exit
   * the group was already swept off-thread.
   */
  private Behavior<Command> onPostStop() {
    ended.set(true);
    if (stdio != null) {
      stdio.closeStdin();
    }
    Process launched = launchedProcess.get();
    if (launched != null && exitCode == null) {
      ProcessTree.signal(launched.pid(), marker, true);
    }
    return this;
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }
}
