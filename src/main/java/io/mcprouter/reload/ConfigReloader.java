package io.mcprouter.reload;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.pattern.StatusReply;
import io.mcprouter.config.ConfigDiff;
import io.mcprouter.config.ConfigException;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.StartupChecks;
import io.mcprouter.config.TomlConfigLoader;
import io.mcprouter.server.ServerRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Reloads {@code .env.toml}: on a change of the file ({@link ConfigWatcher}), on SIGHUP ({@link
 * HangupSignal}) and on {@code POST /admin/reload}. The new file is read and validated in full off
 * the actor's thread (the loader that start-up uses); an invalid one changes nothing and is
 * reported, a valid one goes to the registry, which applies it as a diff. One reload at a time:
 * triggers that come during one are answered by the next, which reads the file as it is then.
 */
public final class ConfigReloader extends AbstractBehavior<ConfigReloader.Command> {

  public sealed interface Command {}

  /** What asked for the reload; a file change whose content is as before does nothing. */
  public enum Trigger {
    FILE_CHANGED,
    SIGNAL,
    REQUEST
  }

  public record Reload(Trigger trigger, ActorRef<Outcome> replyTo) implements Command {}

  public sealed interface Outcome {}

  /** The new file was valid and applied; {@code diff} says what changed. */
  public record Applied(ConfigDiff diff) implements Outcome {}

  /** The file is invalid ({@code error} names the line or key); the running config stays. */
  public record Invalid(String error) implements Outcome {}

  /** A file change that left the content as it was applied. */
  public enum Unchanged implements Outcome {
    INSTANCE
  }

  /** The reload could not be applied (the router is stopping, the registry did not answer). */
  public record NotApplied(String reason) implements Outcome {}

  /** The file as read: its bytes' digest, and the config or why it is invalid. */
  private record Loaded(String digest, Optional<RouterConfig> config, String error)
      implements Command {}

  private record RegistryAnswered(String digest, Outcome outcome) implements Command {}

  private record Hashed(String digest) implements Command {}

  private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);

  private final Path file;
  private final boolean runsProxy;
  private final boolean runsApi;
  private final ActorRef<ServerRegistry.Command> registry;
  private final Executor blocking;

  /** The digest of the file last applied (or started with); empty until it is read. */
  private String appliedDigest = "";

  private boolean busy;
  private final List<Reload> current = new ArrayList<>();
  private final List<Reload> next = new ArrayList<>();
  private ConfigWatcher watcher;

  public static Behavior<Command> create(
      Path file,
      boolean runsProxy,
      boolean runsApi,
      ActorRef<ServerRegistry.Command> registry,
      RouterSettings settings) {
    return Behaviors.setup(
        context -> new ConfigReloader(context, file, runsProxy, runsApi, registry, settings));
  }

  private ConfigReloader(
      ActorContext<Command> context,
      Path file,
      boolean runsProxy,
      boolean runsApi,
      ActorRef<ServerRegistry.Command> registry,
      RouterSettings settings) {
    super(context);
    this.file = file.toAbsolutePath();
    this.runsProxy = runsProxy;
    this.runsApi = runsApi;
    this.registry = registry;
    this.blocking =
        context
            .getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher()));
    ActorRef<Command> self = context.getSelf();
    context.pipeToSelf(
        CompletableFuture.supplyAsync(() -> digestOf(this.file), blocking),
        (digest, failure) -> new Hashed(digest == null ? "" : digest));
    if (settings.reload().watch() && Files.isRegularFile(this.file)) {
      watcher =
          ConfigWatcher.start(
              this.file,
              settings.reload().debounce(),
              () -> self.tell(new Reload(Trigger.FILE_CHANGED, context.getSystem().ignoreRef())));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reload.class, this::onReload)
        .onMessage(Hashed.class, this::onHashed)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(RegistryAnswered.class, this::onRegistryAnswered)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onReload(Reload reload) {
    if (busy) {
      next.add(reload);
    } else {
      begin(List.of(reload));
    }
    return this;
  }

  private Behavior<Command> onHashed(Hashed hashed) {
    if (appliedDigest.isEmpty()) {
      appliedDigest = hashed.digest();
    }
    return this;
  }

  private void begin(List<Reload> reloads) {
    busy = true;
    current.clear();
    current.addAll(reloads);
    Path source = file;
    getContext()
        .pipeToSelf(
            CompletableFuture.supplyAsync(() -> load(source), blocking),
            (loaded, failure) ->
                loaded != null
                    ? loaded
                    : new Loaded("", Optional.empty(), "cannot read " + source + ": " + failure));
  }

  /** On the blocking dispatcher: file I/O. */
  private static Loaded load(Path file) {
    String digest = digestOf(file);
    try {
      return new Loaded(digest, Optional.of(TomlConfigLoader.load(file)), "");
    } catch (ConfigException e) {
      return new Loaded(digest, Optional.empty(), e.getMessage());
    }
  }

  private Behavior<Command> onLoaded(Loaded loaded) {
    boolean onlyWatcher = current.stream().allMatch(r -> r.trigger() == Trigger.FILE_CHANGED);
    if (onlyWatcher && !loaded.digest().isEmpty() && loaded.digest().equals(appliedDigest)) {
      getContext().getLog().debug("config file {} touched, content unchanged", file);
      return finish(Unchanged.INSTANCE);
    }
    if (loaded.config().isEmpty()) {
      getContext()
          .getLog()
          .warn(
              "config reload refused, the running configuration stays ({}): {}",
              triggers(),
              loaded.error());
      // not applied: a later change back to the applied content must not read as "unchanged"
      return finish(new Invalid(loaded.error()));
    }
    RouterConfig config = loaded.config().get();
    config.loadWarnings().forEach(getContext().getLog()::warn);
    StartupChecks.exposure(config, runsProxy, runsApi).forEach(getContext().getLog()::warn);
    getContext()
        .askWithStatus(
            ConfigDiff.class,
            registry,
            APPLY_TIMEOUT,
            replyTo -> new ServerRegistry.ApplyConfig(config, replyTo),
            (diff, failure) ->
                new RegistryAnswered(
                    loaded.digest(),
                    diff != null
                        ? new Applied(diff)
                        : new NotApplied(
                            failure instanceof StatusReply.ErrorMessage
                                ? failure.getMessage()
                                : "the server registry did not answer")));
    return this;
  }

  private Behavior<Command> onRegistryAnswered(RegistryAnswered answered) {
    if (answered.outcome() instanceof Applied applied) {
      appliedDigest = answered.digest();
      getContext()
          .getLog()
          .info("config reloaded from {} ({}): {}", file, triggers(), applied.diff().summary());
      applied
          .diff()
          .needsRestart()
          .forEach(change -> getContext().getLog().warn("config reload: {}", change));
    } else if (answered.outcome() instanceof NotApplied notApplied) {
      getContext().getLog().warn("config reload not applied: {}", notApplied.reason());
    }
    return finish(answered.outcome());
  }

  private Behavior<Command> finish(Outcome outcome) {
    current.forEach(reload -> reload.replyTo().tell(outcome));
    current.clear();
    busy = false;
    if (!next.isEmpty()) {
      List<Reload> waiting = List.copyOf(next);
      next.clear();
      begin(waiting);
    }
    return this;
  }

  private String triggers() {
    return current.stream()
        .map(r -> r.trigger().name().toLowerCase().replace('_', ' '))
        .distinct()
        .reduce((a, b) -> a + ", " + b)
        .orElse("");
  }

  private Behavior<Command> onPostStop() {
    if (watcher != null) {
      watcher.close();
    }
    return this;
  }

  /** SHA-256 of the file's bytes; empty when it cannot be read. */
  static String digestOf(Path file) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
      return HexFormat.of().formatHex(digest);
    } catch (IOException e) {
      return "";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
