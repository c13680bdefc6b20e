package io.mcprouter;

import com.typesafe.config.Config;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.ConfigException;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.TomlConfigLoader;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar mcprouter.jar <proxy|api|serve|check> [--config FILE]}. Errors are one line on
 * stderr.
 */
public final class Main {

  static final Path DEFAULT_CONFIG = Path.of(".env.toml");
  static final Path EXAMPLE_CONFIG = Path.of(".env.example.toml");
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    CommandLine commandLine;
    try {
      commandLine = CommandLine.parse(List.of(args));
    } catch (CommandLine.UsageException e) {
      fail(2, e.getMessage());
      return;
    }
    if (commandLine.command() == CommandLine.Command.HELP) {
      System.out.print(CommandLine.USAGE);
      return;
    }
    if (commandLine.command() == CommandLine.Command.CHECK) {
      System.exit(ConfigCheck.run(configFile(commandLine), Path.of(""), System.out, System.err));
      return;
    }
    RouterConfig config;
    try {
      config = TomlConfigLoader.load(configFile(commandLine));
    } catch (ConfigException e) {
      fail(1, e.getMessage());
      return;
    }
    Config akkaConfig;
    try {
      akkaConfig = RouterConfigFiles.load(RouterConfigFiles.operatorFile(Path.of("")));
      RouterSettings.fromConfig(akkaConfig);
    } catch (ConfigException e) {
      fail(1, e.getMessage());
      return;
    } catch (com.typesafe.config.ConfigException e) {
      fail(1, "invalid settings: " + rootMessage(e));
      return;
    }
    Router router;
    try {
      router =
          Router.start(config, akkaConfig, commandLine.command())
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      fail(1, "cannot start: " + rootMessage(e));
      return;
    } catch (TimeoutException | InterruptedException e) {
      fail(1, "cannot start: HTTP servers did not bind within 60 s");
      return;
    }
    // the handler lives as long as the process: it is never closed
    router.reloadOnHangup();
    log.info(
        "mcprouter running with {} server(s) from {}", config.servers().size(), config.source());
    System.exit(awaitTermination(router, System.err));
  }

  /**
   * 0 after a shutdown that was asked for; otherwise the reason, one line on {@code err}, and 1.
   */
  static int awaitTermination(Router router, PrintStream err) {
    Optional<String> unplanned = router.terminated().toCompletableFuture().join();
    unplanned.ifPresent(reason -> err.println("mcprouter: stopped unexpectedly: " + reason));
    return unplanned.isPresent() ? 1 : 0;
  }

  /**
   * The explicit --config, else .env.toml, else the example shipped with the project, so a fresh
   * clone runs.
   */
  static Path configFile(CommandLine commandLine) {
    if (commandLine.configFile().isPresent()) {
      return commandLine.configFile().get();
    }
    if (!Files.exists(DEFAULT_CONFIG) && Files.exists(EXAMPLE_CONFIG)) {
      log.info("{} not found; using {}", DEFAULT_CONFIG, EXAMPLE_CONFIG);
      return EXAMPLE_CONFIG;
    }
    return DEFAULT_CONFIG;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    String message = String.valueOf(t.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static void fail(int status, String message) {
    System.err.println("mcprouter: " + message);
    System.exit(status);
  }
}
