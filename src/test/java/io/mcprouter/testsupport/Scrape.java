package io.mcprouter.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.DoublePredicate;

/** A test's reading of a router's {@code GET /metrics}. */
public final class Scrape {

  private Scrape() {}

  /** The exposition of the port's {@code /metrics}, which must answer 200 in the text format. */
  public static String metrics(HttpClient http, int port) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(
        answer.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        answer.headers().toString());
    return answer.body();
  }

  /**
   * Scrapes until the sum of {@code name}'s samples with every one of {@code parts} passes {@code
   * test}, for at most {@code timeout}.
   */
  public static void awaitSample(
      HttpClient http,
      int port,
      Duration timeout,
      DoublePredicate test,
      String name,
      String... parts)
      throws InterruptedException {
    Await.until(
        timeout,
        name + " " + String.join(",", parts),
        () -> {
          try {
            return test.test(sample(metrics(http, port), name, parts));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * The sum of the samples whose name is {@code name} and whose line contains every one of {@code
   * parts}; 0 if none.
   */
  public static double sample(String exposition, String name, String... parts) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      boolean all = true;
      for (String part : parts) {
        all &= line.contains(part);
      }
      if (all) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Whether a sample of {@code name} with every one of {@code parts} is exposed at all. */
  public static boolean exposed(String exposition, String name, String... parts) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        boolean all = true;
        for (String part : parts) {
          all &= line.contains(part);
        }
        if (all) {
          return true;
        }
      }
    }
    return false;
  }
}
