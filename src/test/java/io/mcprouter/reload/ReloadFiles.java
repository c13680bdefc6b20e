package io.mcprouter.reload;

import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.TomlConfigLoader;
import io.mcprouter.testsupport.FakeServerCommand;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * A {@code .env.toml} of fake servers on free ports, written to a file a router is started from.
 */
final class ReloadFiles {

  private static final HttpClient http = SseTestClient.newHttpClient();

  private ReloadFiles() {}

  static String header() {
    return "[proxy_server]\nport = 0\n[api_server]\nport = 0\n";
  }

  /** A shared key running the fake server with these arguments, plus any extra TOML lines. */
  static String server(String key, String extraLines, String... args) {
    String command =
        FakeServerCommand.commandLine(args).replace("\\", "\\\\").replace("\"", "\\\"");
    return "[mcp_servers." + key + "]\ncommand = \"" + command + "\"\n" + extraLines + "\n";
  }

  /** Written beside and moved into place: a reader never sees half a file. */
  static void write(Path file, String toml) throws Exception {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, toml);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING);
  }

  static TestRouter start(Path file, String settings) throws Exception {
    return TestRouter.start(TomlConfigLoader.load(file), CommandLine.Command.SERVE, settings);
  }

  static HttpResponse<String> reload(int proxyPort) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/admin/reload"))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
