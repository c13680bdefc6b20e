package io.mcprouter.testsupport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.Router;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.trace.Tracing;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A real router bound to free loopback ports, with settings shrunk so tests run fast. */
public final class TestRouter implements AutoCloseable {

  public static final String TEST_SETTINGS =
      String.join(
          "\n",
          "mcprouter.sse.keep-alive = 500ms",
          "mcprouter.stop.grace-period = 2s",
          "mcprouter.stop.kill-period = 1s",
          "mcprouter.stdio.max-line-bytes = 64KiB",
          "mcprouter.http.max-body-bytes = 64KiB");

  private final Router router;

  private TestRouter(Router router) {
    this.router = router;
  }

  public static TestRouter start(Map<String, ServerSpec> servers) throws Exception {
    return start(servers, "");
  }

  public static TestRouter start(Map<String, ServerSpec> servers, String extraSettings)
      throws Exception {
    return start(
        config(servers, Optional.empty(), "http://127.0.0.1:1"),
        CommandLine.Command.SERVE,
        extraSettings);
  }

  /** A config on free loopback ports. */
  public static RouterConfig config(
      Map<String, ServerSpec> servers, Optional<String> adminToken, String proxyUrl) {
    return new RouterConfig(
        Path.of("test"),
        new RouterConfig.Listen("127.0.0.1", 0),
        new RouterConfig.Listen("127.0.0.1", 0),
        servers,
        adminToken,
        proxyUrl);
  }

  public static TestRouter start(
      RouterConfig config, CommandLine.Command command, String extraSettings) throws Exception {
    return start(config, command, extraSettings, Tracing.OFF);
  }

  /** Traced by {@code tracing} (one on an SDK with an in-memory exporter), not by the env. */
  public static TestRouter start(Map<String, ServerSpec> servers, Tracing tracing)
      throws Exception {
    return start(
        config(servers, Optional.empty(), "http://127.0.0.1:1"),
        CommandLine.Command.SERVE,
        "",
        tracing);
  }

  public static TestRouter start(
      RouterConfig config, CommandLine.Command command, String extraSettings, Tracing tracing)
      throws Exception {
    Config akka =
        ConfigFactory.parseString(extraSettings)
            .withFallback(ConfigFactory.parseString(TEST_SETTINGS))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    return new TestRouter(
        Router.start(config, akka, command, tracing)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS));
  }

  public static ServerSpec fake(String key, boolean shared, String... args) {
    return new ServerSpec(
        key,
        FakeServerCommand.commandLine(args),
        shared,
        Map.of(),
        Optional.empty(),
        Optional.empty());
  }

  public static Map<String, ServerSpec> servers(ServerSpec... specs) {
    Map<String, ServerSpec> map = new LinkedHashMap<>();
    for (ServerSpec spec : specs) {
      map.put(spec.key(), spec);
    }
    return map;
  }

  public Router router() {
    return router;
  }

  public int proxyPort() {
    return router.proxyPort();
  }

  public int apiPort() {
    return router.apiPort();
  }

  @Override
  public void close() throws Exception {
    router.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
