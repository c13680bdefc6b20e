package io.mcprouter;

import com.typesafe.config.Config;
import io.mcprouter.config.ConfigException;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.config.StartupChecks;
import io.mcprouter.config.TomlConfigLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mcprouter check [-c FILE]}: the checks a start makes (the config file, the settings), and
 * what the router would serve: each key with its command, sharing and era. Never an env value, a
 * token or an access key's secret: an operator pastes this output into tickets.
 */
final class ConfigCheck {

  private ConfigCheck() {}

  /** 0 when the config and settings are valid, else 1 with the error on {@code err}. */
  static int run(Path file, Path settingsDirectory, PrintStream out, PrintStream err) {
    RouterConfig config;
    try {
      config = TomlConfigLoader.load(file);
      Config settings = RouterConfigFiles.load(RouterConfigFiles.operatorFile(settingsDirectory));
      RouterSettings.fromConfig(settings);
    } catch (ConfigException e) {
      err.println("mcprouter: invalid: " + e.getMessage());
      return 1;
    } catch (com.typesafe.config.ConfigException e) {
      String message = String.valueOf(e.getMessage());
      int newline = message.indexOf('\n');
      err.println(
          "mcprouter: invalid settings: "
              + (newline < 0 ? message : message.substring(0, newline)));
      return 1;
    }
    describe(config).forEach(out::println);
    return 0;
  }

  static List<String> describe(RouterConfig config) {
    List<String> lines = new ArrayList<>();
    lines.add(config.source() + ": valid, " + config.servers().size() + " server key(s)");
    for (ServerSpec spec : config.servers().values()) {
      lines.add(
          "  "
              + spec.key()
              + ": command="
              + spec.command()
              + " share_process="
              + spec.shareProcess()
              + " protocol="
              + spec.protocol().name().toLowerCase()
              + (spec.env().isEmpty() ? "" : " env=" + spec.env().keySet())
              + (spec.spareChildren() > 0 ? " spare_children=" + spec.spareChildren() : ""));
    }
    lines.add(
        "proxy "
            + config.proxyServer().host()
            + ":"
            + config.proxyServer().port()
            + ", api "
            + config.apiServer().host()
            + ":"
            + config.apiServer().port()
            + ", admin token "
            + (config.adminToken().isPresent() ? "set" : "not set")
            + ", access keys "
            + config.accessKeys().size());
    config.loadWarnings().forEach(w -> lines.add("warning: " + w));
    StartupChecks.exposure(config, true, true).forEach(w -> lines.add("warning: " + w));
    return lines;
  }
}
