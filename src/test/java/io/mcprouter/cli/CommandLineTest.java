package io.mcprouter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.cli.CommandLine.Command;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {

  private static CommandLine parse(String... args) {
    return CommandLine.parse(List.of(args));
  }

  private static String usageError(String... args) {
    return assertThrows(
            CommandLine.UsageException.class, () -> CommandLine.parse(Arrays.asList(args)))
        .getMessage();
  }

  @ParameterizedTest
  @CsvSource({"proxy, PROXY", "api, API", "serve, SERVE"})
  void commandNameSelectsTheCommandWithNoConfigFile(String arg, Command expected) {
    assertEquals(new CommandLine(expected, Optional.empty()), parse(arg));
  }

  @Test
  void commandsSayWhichServersTheyRun() {
    assertTrue(Command.PROXY.runsProxy());
    assertFalse(Command.PROXY.runsApi());
    assertFalse(Command.API.runsProxy());
    assertTrue(Command.API.runsApi());
    assertTrue(Command.SERVE.runsProxy());
    assertTrue(Command.SERVE.runsApi());
    assertFalse(Command.HELP.runsProxy());
    assertFalse(Command.HELP.runsApi());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-c", "--config"})
  void configOptionTakesTheNextArgument(String option) {
    assertEquals(
        new CommandLine(Command.SERVE, Optional.of(Path.of("my.toml"))),
        parse("serve", option, "my.toml"));
    assertEquals(
        new CommandLine(Command.API, Optional.of(Path.of("/etc/r.toml"))),
        parse(option, "/etc/r.toml", "api"));
  }

  @Test
  void configOptionWithEqualsSign() {
    assertEquals(
        new CommandLine(Command.PROXY, Optional.of(Path.of("dir/x.toml"))),
        parse("proxy", "--config=dir/x.toml"));
  }

  @Test
  void lastConfigOptionWins() {
    assertEquals(
        Optional.of(Path.of("b.toml")),
        parse("proxy", "-c", "a.toml", "--config=b.toml").configFile());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-h", "--help", "help"})
  void helpWinsWhereverItIs(String help) {
    assertEquals(new CommandLine(Command.HELP, Optional.empty()), parse(help));
    assertEquals(
        new CommandLine(Command.HELP, Optional.empty()), parse("proxy", "-c", "x.toml", help));
  }

  @Test
  void usageTextListsCommandsAndOptions() {
    for (String word : List.of("proxy", "api", "serve", "--config", "--help")) {
      assertTrue(CommandLine.USAGE.contains(word), word);
    }
  }

  @Test
  void unknownCommandIsAUsageErrorNamingIt() {
    assertEquals(
        "unknown command 'start': expected proxy, api, serve or check", usageError("start"));
  }

  @Test
  void secondCommandIsAUsageError() {
    assertEquals("unexpected argument 'api' (see --help)", usageError("proxy", "api"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-x", "--port", "--config-file", "-"})
  void unknownOptionIsAUsageErrorNamingIt(String option) {
    assertEquals("unknown option '" + option + "' (see --help)", usageError("proxy", option));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-c", "--config"})
  void configOptionWithoutValueIsAUsageError(String option) {
    assertEquals(option + " needs a file name", usageError("proxy", option));
  }

  // An empty value is a missing value: today it becomes Path.of("") and fails later, at load time,
  // with
  // "invalid TOML in : java.io.FileNotFoundException:  (No such file or directory)".
  @Test
  void emptyConfigValueIsAUsageError() {
    usageError("proxy", "--config=");
    usageError("proxy", "-c", "");
  }

  @Test
  void noCommandIsAUsageError() {
    assertEquals(
        "no command given: expected proxy, api, serve or check (see --help)", usageError());
    assertEquals(
        "no command given: expected proxy, api, serve or check (see --help)",
        usageError("-c", "x.toml"));
  }
}
