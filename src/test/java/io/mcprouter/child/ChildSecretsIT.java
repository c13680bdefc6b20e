package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.SseTestClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged router started with secrets in its environment, as operators start it: what the real
 * server-everything's {@code get-env} tool shows a client, and what the router's log shows an
 * operator.
 */
class ChildSecretsIT {

  private static final Path JAR = Path.of("target/mcprouter.jar").toAbsolutePath();
  private static final Path EVERYTHING =
      Path.of("it/node_modules/.bin/mcp-server-everything").toAbsolutePath();
  private static final Pattern LISTENING =
      Pattern.compile("(proxy|api) listening on http://127\\.0\\.0\\.1:(\\d+)");

  /**
   * The README's own example admin token: not an RFC 6750 token68, so Akka's header parser chokes
   * on it.
   */
  private static final String ADMIN_TOKEN = "a long random secret";

  private static final Map<String, String> ROUTER_ENV =
      Map.of(
          "MCPROUTER_ADMIN_TOKEN", ADMIN_TOKEN,
          "MCPROUTER_SOMETHING_ELSE", "router-only",
          "DENIED_SECRET", "named-in-the-deny-list",
          "AWS_SECRET_ACCESS_KEY", "denied-by-prefix",
          "KEEP_ME", "an-ordinary-variable");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Process router;
  private Thread pump;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private final HttpClient http = SseTestClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    Files.writeString(
        dir.resolve("application.conf"),
        "mcprouter.child-env.deny = [\"DENIED_SECRET\", \"aws_*\"]\n");
    Path toml = dir.resolve("router.toml");
    Files.writeString(
        toml,
        "[proxy_server]\nport = 0\n[api_server]\nport = 0\n[mcp_servers]\n"
            + "everything = { command = \""
            + EVERYTHING
            + "\" }\n"
            + "bare = { command = \""
            + EVERYTHING
            + "\", inherit_env = false, env = { OWN = \"configured\" } }\n");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmcprouter.stop.shutdown-timeout=6s",
                "-jar",
                JAR.toString(),
                "serve",
                "-c",
                toml.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true);
    builder.environment().putAll(ROUTER_ENV);
    builder.environment().put("LC_ALL", "C.UTF-8");
    router = builder.start();
    pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(router.getInputStream(), StandardCharsets.UTF_8))) {
                in.lines()
                    .forEach(
                        line -> {
                          output.add(line);
                          Matcher m = LISTENING.matcher(line);
                          if (m.find()) {
                            ports.put(m.group(1), Integer.parseInt(m.group(2)));
                          }
                        });
              } catch (IOException | UncheckedIOException ended) {
                // the router exited
              }
            });
    pump.setDaemon(true);
    pump.start();
    Await.until(
        Duration.ofSeconds(60),
        () -> "both ports bound: " + output,
        () -> ports.size() == 2 || !router.isAlive());
    assertTrue(router.isAlive(), String.join("\n", output));
  }

  @AfterEach
  void stop() throws Exception {
    router.destroy();
    if (!router.waitFor(20, TimeUnit.SECONDS)) {
      router.destroyForcibly();
    }
  }

  @Test
  void aChildSeesNeitherTheAdminTokenNorTheRoutersVariablesNorTheDenyList() throws Exception {
    Set<String> inherited = envOf("everything");
    assertFalse(
        inherited.contains("MCPROUTER_ADMIN_TOKEN"),
        "the admin token reached a child: " + inherited);
    assertFalse(inherited.contains("MCPROUTER_SOMETHING_ELSE"), inherited.toString());
    assertFalse(
        inherited.contains("DENIED_SECRET"), "named in mcprouter.child-env.deny: " + inherited);
    assertFalse(
        inherited.contains("AWS_SECRET_ACCESS_KEY"), "matched by the aws_* prefix: " + inherited);
    assertTrue(
        inherited.containsAll(List.of("KEEP_ME", "PATH", "LC_ALL")),
        "the rest is inherited: " + inherited);

    Set<String> bare = envOf("bare");
    assertTrue(bare.containsAll(List.of("PATH", "LC_ALL", "OWN")), bare.toString());
    Set<String> beyond = new TreeSet<>(bare);
    // what sh itself sets, and the router's process markers (random labels, not secrets)
    beyond.removeAll(
        List.of(
            "PATH",
            "HOME",
            "LANG",
            "LANGUAGE",
            "OWN",
            "PWD",
            "SHLVL",
            "_",
            "OLDPWD",
            "MCPROUTER_RUN",
            "MCPROUTER_INSTANCE"));
    beyond.removeIf(name -> name.startsWith("LC_"));
    assertEquals(
        Set.of(), beyond, "inherit_env = false: only PATH, HOME, the locale and the key's env");
  }

  @Test
  void aBearerThatIsNoToken68StringAndSessionIdsStayOutOfTheLog() throws Exception {
    int proxy = ports.get("proxy");
    int api = ports.get("api");
    // the admin token itself, a wrong one of the same shape, and the key as a bearer
    for (String token : List.of(ADMIN_TOKEN, "another long secret with spaces", "everything")) {
      send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy + "/admin/list-clients"))
              .header("Authorization", "Bearer " + token)
              .GET());
      send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/v1/list-running-servers"))
              .header("Authorization", "Bearer " + token)
              .GET());
      send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/v1/list-tools"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.noBody()));
    }
    assertEquals(
        200,
        send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy + "/admin/list-clients"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .GET())
            .statusCode(),
        "a token with spaces works");
    String session;
    try (SseTestClient client = SseTestClient.connect(http, proxy, "everything")) {
      client.initialize(1, null);
      session = client.sessionId();
      client.call(2, "tools/call", SseTestClient.toolCall("echo", Map.of("message", "hello")));
    }
    // the whole log: the router has exited and its output has been read to the end
    router.destroy();
    assertTrue(router.waitFor(30, TimeUnit.SECONDS));
    pump.join(10_000);
    assertFalse(pump.isAlive(), "the log was read to its end");
    List<String> log = List.copyOf(output);
    for (String secret :
        List.of(
            ADMIN_TOKEN, "another long secret", "router-only", "named-in-the-deny-list", session)) {
      List<String> leaks = log.stream().filter(l -> l.contains(secret)).toList();
      assertEquals(List.of(), leaks, "a secret in the log: " + secret);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Set<String> envOf(String key) throws Exception {
    HttpResponse<String> answer =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ports.get("api") + "/v1/call-tool"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"get-env\",\"arguments\":{}}")));
    assertEquals(200, answer.statusCode(), answer.body());
    JsonNode env =
        JSON.readTree(
            JSON.readTree(answer.body())
                .path("data")
                .path("content")
                .path(0)
                .path("text")
                .asText());
    Set<String> names = new TreeSet<>();
    for (Iterator<String> it = env.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }
}
