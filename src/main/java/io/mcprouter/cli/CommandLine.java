package io.mcprouter.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The parsed command line: {@code mcprouter <proxy|api|serve|check> [--config FILE]}. */
public record CommandLine(Command command, Optional<Path> configFile) {

  public enum Command {
    PROXY,
    API,
    SERVE,
    /** Validates the config and prints what it would serve; serves nothing. */
    CHECK,
    HELP;

    public boolean runsProxy() {
      return this == PROXY || this == SERVE;
    }

    public boolean runsApi() {
      return this == API || this == SERVE;
    }
  }

  /** A usage error, printed as one line. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }

  public static final String USAGE =
      """
      usage: mcprouter <command> [--config FILE]

      commands:
        proxy    serve MCP clients over Streamable HTTP and HTTP+SSE (default port 8025)
        api      serve the REST API (default port 8027)
        serve    both, in one process sharing the running servers
        check    validate the configuration and print what it would serve (exit 0 valid, 1 not)

      options:
        -c, --config FILE   server configuration (default .env.toml, else .env.example.toml)
        -h, --help          show this help
      """;

  public static CommandLine parse(List<String> args) {
    Command command = null;
    Optional<Path> config = Optional.empty();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "-h", "--help", "help" -> {
          return new CommandLine(Command.HELP, Optional.empty());
        }
        case "-c", "--config" -> {
          if (i + 1 >= args.size()) {
            throw new UsageException(arg + " needs a file name");
          }
          config = Optional.of(configPath(arg, args.get(++i)));
        }
        default -> {
          if (arg.startsWith("--config=")) {
            config = Optional.of(configPath("--config", arg.substring("--config=".length())));
          } else if (arg.startsWith("-")) {
            throw new UsageException("unknown option '" + arg + "' (see --help)");
          } else if (command != null) {
            throw new UsageException("unexpected argument '" + arg + "' (see --help)");
          } else {
            command =
                switch (arg) {
                  case "proxy" -> Command.PROXY;
                  case "api" -> Command.API;
                  case "serve" -> Command.SERVE;
                  case "check" -> Command.CHECK;
                  default ->
                      throw new UsageException(
                          "unknown command '" + arg + "': expected proxy, api, serve or check");
                };
          }
        }
      }
    }
    if (command == null) {
      throw new UsageException(
          "no command given: expected proxy, api, serve or check (see --help)");
    }
    return new CommandLine(command, config);
  }

  private static Path configPath(String option, String value) {
    if (value.isBlank()) {
      throw new UsageException(option + " needs a file name");
    }
    return Path.of(value);
  }
}
