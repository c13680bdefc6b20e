package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Descendants of a child that try to outlive it: one ignores SIGTERM and EOF, one leaves the
 * process group with setsid and is re-parented away from the child, out of reach of the group and
 * of {@code ProcessHandle.descendants()}. A forced stop must take both.
 */
class EscapingDescendantsTest {

  /** The pid a call answers; a failed call fails the test with its answer, not a parse error. */
  private static long pid(ApiClient api, String call) throws Exception {
    ApiClient.Answer answer = api.post("/v1/call-tool", "victim", call);
    assertTrue(answer.text().matches("[0-9]+"), "no pid in " + answer.body());
    return Long.parseLong(answer.text());
  }

  @Test
  void aForcedStopKillsAStubbornAndADetachedGrandchild() throws Exception {
    try (TestRouter router =
        TestRouter.start(TestRouter.servers(TestRouter.fake("victim", true)))) {
      ApiClient api = new ApiClient(router.apiPort());
      ApiClient admin = new ApiClient(router.proxyPort());
      long child = pid(api, call("pid", "{}"));
      long stubborn = pid(api, call("spawn_child", "{\"kind\":\"stubborn\"}"));
      long detached = pid(api, call("spawn_child", "{\"kind\":\"detached\"}"));
      assertTrue(Processes.alive(child) && Processes.alive(stubborn) && Processes.alive(detached));
      assertTrue(
          ProcessHandle.of(detached)
                  .flatMap(ProcessHandle::parent)
                  .map(ProcessHandle::pid)
                  .orElse(-1L)
              != child,
          "the detached grandchild left its parent");

      try {
        ApiClient.Answer stopped =
            admin.post("/admin/stop-server", null, "{\"server_key\":\"victim\",\"force\":true}");
        assertEquals(200, stopped.status(), stopped.body().toString());
        Await.until(
            Duration.ofSeconds(2),
            "child " + child + ", stubborn " + stubborn + " and detached " + detached + " gone",
            () ->
                !Processes.alive(child)
                    && !Processes.alive(stubborn)
                    && !Processes.alive(detached));
      } finally {
        Processes.kill(
            stubborn, detached); // a failed run must not leave them for the rest of the suite
      }
    }
  }

  private static String call(String tool, String arguments) {
    return "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}";
  }
}
