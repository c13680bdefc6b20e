package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcprouter.config.ServerSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {

  private static final Map<String, String> ROUTER =
      Map.of(
          "PATH",
          "/usr/bin",
          "HOME",
          "/home/op",
          "LANG",
          "C.UTF-8",
          "LC_CTYPE",
          "C.UTF-8",
          "MCPROUTER_ADMIN_TOKEN",
          "secret",
          "mcprouter_lowercase",
          "secret too",
          "GITHUB_TOKEN",
          "gh",
          "AWS_SECRET_ACCESS_KEY",
          "aws",
          "EDITOR",
          "vi");

  private static ServerSpec spec(boolean inherit, Map<String, String> env) {
    return new ServerSpec(
            "k",
            "cmd",
            true,
            env,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty())
        .withInheritEnv(inherit);
  }

  @Test
  void theRoutersOwnVariablesAndTheDenyListStayBehind() {
    Map<String, String> env =
        new ChildEnvironment(List.of("github_token", "AWS_*"))
            .of(spec(true, Map.of("EXTRA", "x")), ROUTER);
    assertEquals(
        Map.of(
            "PATH",
            "/usr/bin",
            "HOME",
            "/home/op",
            "LANG",
            "C.UTF-8",
            "LC_CTYPE",
            "C.UTF-8",
            "EDITOR",
            "vi",
            "EXTRA",
            "x"),
        env);
  }

  @Test
  void withoutInheritingOnlyPathHomeTheLocaleAndTheKeysEnvRemain() {
    Map<String, String> env =
        new ChildEnvironment(List.of())
            .of(spec(false, Map.of("GITHUB_TOKEN", "configured")), ROUTER);
    assertEquals(
        Map.of(
            "PATH",
            "/usr/bin",
            "HOME",
            "/home/op",
            "LANG",
            "C.UTF-8",
            "LC_CTYPE",
            "C.UTF-8",
            "GITHUB_TOKEN",
            "configured"),
        env);
  }

  @Test
  void aKeysConfiguredEnvIsPassedEvenWhenItsNameIsDenied() {
    // the operator wrote it for this key: the deny list is about what the router happens to hold
    Map<String, String> env =
        new ChildEnvironment(List.of("GITHUB_TOKEN"))
            .of(spec(true, Map.of("GITHUB_TOKEN", "mine")), ROUTER);
    assertEquals("mine", env.get("GITHUB_TOKEN"));
  }
}
