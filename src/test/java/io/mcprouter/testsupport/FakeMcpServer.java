package io.mcprouter.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small, self-contained stdio MCP server used as a real child process in tests (fault injection:
 * crashes, garbage output, slow calls, cancellation, progress, server-to-client requests, ...).
 *
 * <p>Protocol: newline-delimited JSON-RPC 2.0 on stdin/stdout (UTF-8). Diagnostics go to stderr.
 *
 * <p>Flags:
 *
 * <ul>
 *   <li>{@code --exit-immediately N}: print "fake-mcp: exiting with N" to stderr and exit with code
 *       N before reading anything.
 *   <li>{@code --no-initialize}: never answer {@code initialize} (no result, no error).
 *   <li>{@code --silent-before-initialize}: never answer a request that comes before {@code
 *       initialize} (such as the router's {@code server/discover} probe).
 *   <li>{@code --banner-garbage}: print the line {@code not json banner} to stdout at start.
 *   <li>{@code --tag LABEL}: ignored; a label for finding the process by its command line.
 * </ul>
 */
public final class FakeMcpServer {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;
  private static final String DEFAULT_PROTOCOL_VERSION = "2025-06-18";

  /** With --protocol-versions: the revisions this server speaks; null: whatever the client asks. */
  private static List<String> protocolVersions;

  private static volatile String REQUESTED_VERSION;
  private static volatile String NEGOTIATED_VERSION;

  private static final OutputStream STDOUT = new FileOutputStream(FileDescriptor.out);
  private static final OutputStream STDERR = new FileOutputStream(FileDescriptor.err);

  private static final AtomicInteger INITIALIZE_COUNT = new AtomicInteger();
  private static final AtomicInteger INITIALIZED_COUNT = new AtomicInteger();
  private static final AtomicInteger ROOTS_CHANGED_COUNT = new AtomicInteger();

  /** sample calls received so far, for the {@code wait_for} barrier */
  private static final AtomicInteger SAMPLE_CALLS = new AtomicInteger();

  private static final AtomicInteger TOOLS_LIST_COUNT = new AtomicInteger();

  /** Cancelled request ids exactly as received (for stats), guarded by itself. */
  private static final List<JsonNode> CANCELLED_IDS = new ArrayList<>();

  /** Normalised keys of cancelled request ids (see {@link #idKey}). */
  private static final Set<String> CANCELLED_KEYS = ConcurrentHashMap.newKeySet();

  /** Pending server-to-client requests by their (string) id. */
  private static final Map<String, CompletableFuture<JsonNode>> PENDING_SERVER_REQUESTS =
      new ConcurrentHashMap<>();

  private static final AtomicLong SERVER_REQUEST_COUNTER = new AtomicLong();

  private static final ExecutorService WORKERS =
      Executors.newCachedThreadPool(daemonThreads("fake-mcp-worker"));
  private static final ScheduledExecutorService SCHEDULER =
      Executors.newScheduledThreadPool(4, daemonThreads("fake-mcp-timer"));

  private static volatile boolean noInitialize = false;
  private static volatile boolean silentBeforeInitialize = false;
  private static volatile boolean initializeSeen = false;
  private static final List<String> BEFORE_INITIALIZE = new CopyOnWriteArrayList<>();

  private static String serverVersion = "1.0.0";

  private FakeMcpServer() {}

  public static void main(String[] args) {
    boolean bannerGarbage = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--exit-immediately":
          {
            int code = i + 1 < args.length ? Integer.parseInt(args[i + 1].trim()) : 1;
            writeStderr("fake-mcp: exiting with " + code);
            System.exit(code);
            return;
          }
        case "--no-initialize":
          noInitialize = true;
          break;
        case "--silent-before-initialize": // as a server stuck on what it did not expect
          silentBeforeInitialize = true;
          break;
        case "--protocol-versions": // only these, newest last; another request gets the newest
          // (lifecycle)
          protocolVersions = i + 1 < args.length ? List.of(args[++i].trim().split(",")) : null;
          break;
        case "--banner-garbage":
          bannerGarbage = true;
          break;
        case "--server-version": // serverInfo.version: tells a test which command a child runs
          serverVersion = i + 1 < args.length ? args[++i] : serverVersion;
          break;
        case "--extra-tools": // this many more tools, named tool-0 .. tool-<n-1> (label bounds)
          extraTools = Integer.parseInt(args[++i]);
          break;
        case "--tag":
          // a label only: lets a test tell its children apart in /proc/<pid>/cmdline
          i++;
          break;
        default:
          writeStderr("fake-mcp: ignoring unknown argument " + args[i]);
      }
    }

    if (bannerGarbage) {
      writeLine("not json banner");
    }

    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode msg;
        try {
          msg = MAPPER.readTree(line);
        } catch (IOException e) {
          msg = null;
        }
        if (msg == null || !msg.isObject()) {
          writeStderr("fake-mcp: bad line");
          continue;
        }
        dispatch((ObjectNode) msg);
      }
    } catch (IOException e) {
      writeStderr("fake-mcp: stdin error: " + e);
    }
    // EOF: exit promptly, even with sleeps pending.
    System.exit(0);
  }

  // ------------------------------------------------------------------ dispatch

  private static void dispatch(ObjectNode msg) {
    JsonNode methodNode = msg.get("method");
    boolean hasId = msg.has("id");
    if (methodNode == null || !methodNode.isTextual()) {
      if (hasId && (msg.has("result") || msg.has("error"))) {
        handleResponse(msg);
      } else {
        writeStderr("fake-mcp: bad line");
      }
      return;
    }
    String method = methodNode.asText();
    JsonNode params = msg.get("params");
    if (!hasId) {
      // Notifications are handled inline on the reader thread so ordering is preserved
      // (e.g. a cancel is registered before any later message is looked at).
      handleNotification(method, params);
      return;
    }
    JsonNode id = msg.get("id");
    if ("tools/call".equals(method) && "stall_stdin".equals(text(params, "name", ""))) {
      stallStdin(id, params.path("arguments").path("until").asText(""));
      return;
    }
    if ("initialize".equals(method)) {
      // count inline so stats are deterministic w.r.t. message order
      INITIALIZE_COUNT.incrementAndGet();
    }
    WORKERS.execute(
        () -> {
          try {
            handleRequest(id, method, params);
          } catch (RuntimeException e) {
            writeStderr("fake-mcp: internal error handling " + method + ": " + e);
            sendError(id, -32603, "Internal error: " + e.getMessage());
          }
        });
  }

  /**
   * Unlisted: stops reading stdin (on the reader thread) until the file {@code until} exists, so
   * the pipe fills and the router's stdin queue grows; answers once reading again.
   */
  private static void stallStdin(JsonNode id, String until) {
    java.nio.file.Path file = java.nio.file.Path.of(until);
    while (!java.nio.file.Files.exists(file)) {
      try {
        Thread.sleep(20); // a test's fault injection: polling a file is the whole point
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    sendText(id, "read again");
  }

  private static void handleResponse(ObjectNode msg) {
    JsonNode id = msg.get("id");
    if (id == null || !id.isTextual()) {
      return; // not one of ours: ignore
    }
    CompletableFuture<JsonNode> f = PENDING_SERVER_REQUESTS.remove(id.asText());
    if (f != null) {
      f.complete(msg);
    }
  }

  private static void handleNotification(String method, JsonNode params) {
    switch (method) {
      case "notifications/roots/list_changed":
        ROOTS_CHANGED_COUNT.incrementAndGet();
        break;
      case "notifications/initialized":
        INITIALIZED_COUNT.incrementAndGet();
        break;
      case "notifications/cancelled":
        {
          JsonNode rid = params == null ? null : params.get("requestId");
          if (rid != null && !rid.isNull()) {
            synchronized (CANCELLED_IDS) {
              CANCELLED_IDS.add(rid.deepCopy());
            }
            CANCELLED_KEYS.add(idKey(rid));
          }
          break;
        }
      default:
        // unknown notification: ignore
        break;
    }
  }

  private static void handleRequest(JsonNode id, String method, JsonNode params) {
    if ("initialize".equals(method)) {
      initializeSeen = true;
    } else if (!initializeSeen) {
      BEFORE_INITIALIZE.add(method);
    }
    if (!"initialize".equals(method) && silentBeforeInitialize && !initializeSeen) {
      return; // never answered
    }
    switch (method) {
      case "initialize":
        handleInitialize(id, params);
        break;
      case "ping":
        sendResult(id, NF.objectNode());
        break;
      case "tools/list":
        {
          TOOLS_LIST_COUNT.incrementAndGet();
          ObjectNode result = NF.objectNode();
          result.set("tools", toolList());
          sendResult(id, result);
          break;
        }
      case "tools/call":
        handleToolCall(id, params);
        break;
      default:
        sendError(id, -32601, "Method not found: " + method);
    }
  }

  private static void handleInitialize(JsonNode id, JsonNode params) {
    if (noInitialize) {
      return; // never answer
    }
    JsonNode pv = params == null ? null : params.get("protocolVersion");
    String protocolVersion = pv != null && pv.isTextual() ? pv.asText() : DEFAULT_PROTOCOL_VERSION;
    if (protocolVersions != null && !protocolVersions.contains(protocolVersion)) {
      protocolVersion = protocolVersions.get(protocolVersions.size() - 1);
    }
    REQUESTED_VERSION = pv == null ? null : pv.asText();
    NEGOTIATED_VERSION = protocolVersion;
    ObjectNode result = NF.objectNode();
    result.put("protocolVersion", protocolVersion);
    ObjectNode caps = result.putObject("capabilities");
    caps.putObject("tools").put("listChanged", true);
    caps.putObject("logging");
    caps.putObject("resources").put("subscribe", true);
    ObjectNode info = result.putObject("serverInfo");
    info.put("name", "fake-mcp");
    info.put("version", serverVersion);
    result.put("instructions", "pid=" + ProcessHandle.current().pid());
    sendResult(id, result);
  }

  // ------------------------------------------------------------------ tools

  private static int extraTools;

  private static ArrayNode toolList() {
    ArrayNode tools = NF.arrayNode();
    for (int i = 0; i < extraTools; i++) {
      tools.add(tool("tool-" + i, "One of many"));
    }
    tools.add(tool("echo", "Echo the text argument back", prop("text", "string", "text to echo")));
    tools.add(
        tool(
            "sleep",
            "Answer after ms milliseconds (text, or 'slept <ms>')",
            prop("ms", "integer", "delay in milliseconds"),
            prop("text", "string", "optional reply text")));
    tools.add(
        tool(
            "crash",
            "Exit the server immediately with the given code (default 3) without answering",
            prop("code", "integer", "exit code")));
    tools.add(
        tool(
            "progress",
            "Send progress notifications (if a progressToken is given), then answer 'done <steps>'",
            prop("steps", "integer", "number of steps (default 3)"),
            prop("ms", "integer", "delay between steps in ms (default 10)")));
    tools.add(
        tool(
            "notify",
            "Send tools/list_changed and a log message notification, then answer 'notified'"));
    tools.add(tool("garbage", "Write two non-JSON lines to stdout, then answer 'after garbage'"));
    tools.add(
        tool(
            "big",
            "Answer with 'x' repeated bytes times",
            prop("bytes", "integer", "size of the answer")));
    tools.add(
        tool(
            "sample",
            "Send sampling/createMessage with {prompt} to the client and answer with its text;"
                + " with {wait_for, wait_ms}: first wait until wait_for sample calls arrived or wait_ms passed",
            prop("prompt", "string", "prompt (default 'hi')")));
    tools.add(
        tool(
            "elicit",
            "Send elicitation/create to the client rounds times, one after the other (the next once"
                + " the last is answered), and answer with each answer's action and content,"
                + " separated by ';'",
            prop("rounds", "integer", "how many elicitations (default 1)"),
            prop("key", "string", "the mcprouter/inputKey hint of the first (default none)")));
    tools.add(
        tool("roots", "Send roots/list to the client and answer with the JSON of its result"));
    tools.add(tool("pid", "Answer with the server's process id"));
    tools.add(
        tool(
            "spawn_child",
            "Start a grandchild process 'sleep 300' and answer with its pid",
            prop(
                "kind",
                "string",
                "'plain' (default); 'stubborn': ignores SIGTERM and EOF; "
                    + "'detached': also setsid and re-parented away from this server (a daemon)")));
    tools.add(
        tool(
            "stderr",
            "Write text to stderr, answer 'ok'",
            prop("text", "string", "text to write")));
    tools.add(tool("bad_utf8", "Write two lines of invalid UTF-8 to stdout, then answer"));
    tools.add(
        tool("flood", "Send {count} notifications/message of {size} characters, then answer"));
    tools.add(
        tool(
            "hostile",
            "Answer with a result holding {shape}: 'deep' (arrays nested {size} deep), "
                + "'number' (an integer of {size} digits) or 'string' (a string of {size} characters)",
            prop("shape", "string", "deep, number or string"),
            prop("size", "integer", "depth, digits or characters")));
    tools.add(tool("hang", "Never answer (not even after notifications/cancelled)"));
    tools.add(tool("stats", "Answer with JSON counters: initialize, initialized, cancelled ids"));
    return tools;
  }

  /**
   * A grandchild built to outlive its server: it ignores SIGTERM (inherited through exec) and never
   * reads stdin; 'detached' also leaves the process group with setsid and, started in the
   * background of a shell that exits at once, is re-parented away, so neither the group nor
   * descendants() find it.
   */
  private static void spawnEscapee(JsonNode id, String kind) {
    String stubborn = "trap '' TERM; echo $$; exec sleep 600 </dev/null >/dev/null 2>&1";
    String script;
    if (kind.equals("stubborn")) {
      script = stubborn;
    } else if (kind.equals("detached")) {
      script =
          "setsid sh -c 'trap \"\" TERM; echo $$; exec sleep 600 </dev/null >/dev/null 2>&1' &";
    } else {
      sendError(id, -32602, "unknown kind '" + kind + "'");
      return;
    }
    try {
      Process shell =
          new ProcessBuilder("sh", "-c", script)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8))) {
        String pid = out.readLine();
        if (pid == null) {
          sendError(id, -32603, "spawn failed: no pid printed");
        } else {
          sendText(id, pid.trim());
        }
      }
    } catch (IOException e) {
      sendError(id, -32603, "spawn failed: " + e.getMessage());
    }
  }

  private static ObjectNode prop(String name, String type, String description) {
    ObjectNode p = NF.objectNode();
    p.put("name", name); // removed below; only used to carry the key
    p.put("type", type);
    p.put("description", description);
    return p;
  }

  private static ObjectNode tool(String name, String description, ObjectNode... props) {
    ObjectNode t = NF.objectNode();
    t.put("name", name);
    t.put("description", description);
    ObjectNode schema = t.putObject("inputSchema");
    schema.put("type", "object");
    ObjectNode properties = schema.putObject("properties");
    for (ObjectNode p : props) {
      String key = p.remove("name").asText();
      properties.set(key, p);
    }
    return t;
  }

  private static void handleToolCall(JsonNode id, JsonNode params) {
    String name = text(params, "name", "");
    JsonNode a = params == null ? null : params.get("arguments");
    JsonNode args = a != null && a.isObject() ? a : NF.objectNode();
    switch (name) {
      case "echo":
        sendText(id, text(args, "text", ""));
        break;
      case "sleep":
        {
          long ms = number(args, "ms", 0);
          String reply =
              args.has("text") && !args.get("text").isNull()
                  ? args.get("text").asText()
                  : "slept " + ms;
          String key = idKey(id);
          SCHEDULER.schedule(
              () -> {
                if (!CANCELLED_KEYS.contains(key)) {
                  sendText(id, reply);
                }
              },
              Math.max(0, ms),
              TimeUnit.MILLISECONDS);
          break;
        }
      case "crash":
        {
          int code = (int) number(args, "code", 3);
          writeStderr("fake-mcp: crashing on request");
          Runtime.getRuntime().halt(code);
          break;
        }
      case "progress":
        {
          int steps = (int) number(args, "steps", 3);
          long ms = number(args, "ms", 10);
          JsonNode meta = params.get("_meta");
          JsonNode token = meta == null ? null : meta.get("progressToken");
          if (token != null && token.isNull()) {
            token = null;
          }
          progressStep(id, token, 1, steps, Math.max(0, ms));
          break;
        }
      case "notify":
        {
          ObjectNode n1 = NF.objectNode();
          n1.put("jsonrpc", "2.0");
          n1.put("method", "notifications/tools/list_changed");
          writeJson(n1);
          ObjectNode n2 = NF.objectNode();
          n2.put("jsonrpc", "2.0");
          n2.put("method", "notifications/message");
          ObjectNode p = n2.putObject("params");
          p.put("level", "info");
          p.put("logger", "fake");
          p.put("data", "hello");
          writeJson(n2);
          sendText(id, "notified");
          break;
        }
      case "bad_utf8":
        writeRawLine(new byte[] {'{', '"', 'x', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'});
        writeRawLine(new byte[] {(byte) 0xc3, (byte) 0x28, 'a', 'b'});
        sendText(id, "after bad utf8");
        break;
      case "flood":
        {
          int count = (int) Math.max(0, number(args, "count", 0));
          String filler = "y".repeat((int) Math.max(0, number(args, "size", 1000)));
          for (int i = 0; i < count; i++) {
            writeLine(
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\""
                    + filler
                    + "\"}}");
          }
          sendText(id, "flooded " + count);
          break;
        }
      case "garbage":
        writeLine("this is not json");
        writeLine("{\"jsonrpc\":\"2.0\", broken");
        sendText(id, "after garbage");
        break;
      case "hostile":
        {
          int size = (int) Math.max(1, number(args, "size", 10_000));
          String value =
              switch (text(args, "shape", "deep")) {
                case "number" -> "9".repeat(size);
                case "string" -> "\"" + "s".repeat(size) + "\"";
                default -> "[".repeat(size) + "]".repeat(size);
              };
          // written by hand: a serializer of its own would refuse (or overflow on) such a tree
          writeLine(
              "{\"jsonrpc\":\"2.0\",\"id\":"
                  + toJson(id)
                  + ",\"result\":{\"content\":[],\"value\":"
                  + value
                  + "}}");
          break;
        }
      case "big":
        {
          int bytes = (int) Math.max(0, number(args, "bytes", 0));
          sendText(id, "x".repeat(bytes));
          break;
        }
      case "sample":
        {
          ObjectNode p = NF.objectNode();
          ObjectNode m = p.putArray("messages").addObject();
          m.put("role", "user");
          ObjectNode c = m.putObject("content");
          c.put("type", "text");
          c.put(
              "text",
              args.has("prompt") && !args.get("prompt").isNull()
                  ? args.get("prompt").asText()
                  : "hi");
          p.put("maxTokens", 10);
          // wait_for N: ask only once N sample calls are in (or wait_ms has passed), so that
          // N requests are in flight at once when the first question goes out
          int waitFor = (int) number(args, "wait_for", 0);
          long deadline =
              System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(number(args, "wait_ms", 0));
          SAMPLE_CALLS.incrementAndGet();
          sampleWhenReady(id, p, waitFor, deadline);
          break;
        }
      case "elicit":
        elicit(id, (int) number(args, "rounds", 1), 1, args.path("key").asText(null), "");
        break;
      case "roots":
        serverRequest("roots/list", null)
            .thenAccept(
                resp -> {
                  JsonNode err = resp.get("error");
                  if (err != null && !err.isNull()) {
                    sendText(id, "roots error: " + text(err, "message", ""));
                  } else {
                    JsonNode result = resp.get("result");
                    sendText(id, toJson(result == null ? NF.nullNode() : result));
                  }
                });
        break;
      case "hang":
        // the router's request timeout or the client's cancellation must end it
        break;
      case "pid":
        sendText(id, Long.toString(ProcessHandle.current().pid()));
        break;
      case "meta": // unlisted: answers the request's params._meta as it arrived ("null": none)
        {
          JsonNode meta = params == null ? null : params.get("_meta");
          sendText(id, meta == null ? "null" : toJson(meta));
          break;
        }
      case "spawn_child":
        {
          String kind = text(args, "kind", "plain");
          if (!kind.equals("plain")) {
            spawnEscapee(id, kind);
            break;
          }
          try {
            Process child =
                new ProcessBuilder("sleep", "300")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            sendText(id, Long.toString(child.pid()));
          } catch (IOException e) {
            sendError(id, -32603, "spawn failed: " + e.getMessage());
          }
          break;
        }
      case "stderr":
        writeStderr(text(args, "text", ""));
        sendText(id, "ok");
        break;
      case "stats":
        {
          ObjectNode s = NF.objectNode();
          s.put("initialize", INITIALIZE_COUNT.get());
          s.put("initialized", INITIALIZED_COUNT.get());
          s.put("rootsListChanged", ROOTS_CHANGED_COUNT.get());
          s.put("toolsList", TOOLS_LIST_COUNT.get());
          s.put("requestedVersion", REQUESTED_VERSION);
          s.put("negotiatedVersion", NEGOTIATED_VERSION);
          BEFORE_INITIALIZE.forEach(s.putArray("beforeInitialize")::add);
          ArrayNode c = s.putArray("cancelled");
          synchronized (CANCELLED_IDS) {
            for (JsonNode cid : CANCELLED_IDS) {
              c.add(cid);
            }
          }
          sendText(id, toJson(s));
          break;
        }
      default:
        sendError(id, -32602, "unknown tool: " + name);
    }
  }

  private static void elicit(JsonNode id, int rounds, int round, String key, String answers) {
    ObjectNode p = NF.objectNode();
    p.put("message", "question " + round);
    ObjectNode schema = p.putObject("requestedSchema");
    schema.put("type", "object");
    schema.putObject("properties").putObject("answer").put("type", "string");
    if (key != null && round == 1) {
      p.putObject("_meta").put("mcprouter/inputKey", key);
    }
    serverRequest("elicitation/create", p)
        .thenAccept(
            resp -> {
              JsonNode err = resp.get("error");
              String answer =
                  err != null && !err.isNull()
                      ? "error " + text(err, "message", "")
                      : text(resp.get("result"), "action", "")
                          + " "
                          + toJson(resp.path("result").path("content"));
              String all = answers.isEmpty() ? answer : answers + ";" + answer;
              if (round >= rounds || err != null && !err.isNull()) {
                sendText(id, all);
              } else {
                elicit(id, rounds, round + 1, key, all);
              }
            });
  }

  private static void sampleWhenReady(JsonNode id, ObjectNode params, int waitFor, long deadline) {
    if (SAMPLE_CALLS.get() < waitFor && System.nanoTime() < deadline) {
      SCHEDULER.schedule(
          () -> sampleWhenReady(id, params, waitFor, deadline), 5, TimeUnit.MILLISECONDS);
      return;
    }
    serverRequest("sampling/createMessage", params)
        .thenAccept(
            resp -> {
              JsonNode err = resp.get("error");
              if (err != null && !err.isNull()) {
                sendText(id, "sampling error: " + text(err, "message", ""));
              } else {
                JsonNode result = resp.get("result");
                JsonNode content = result == null ? null : result.get("content");
                sendText(id, text(content, "text", ""));
              }
            });
  }

  private static void progressStep(JsonNode id, JsonNode token, int i, int steps, long ms) {
    if (i > steps) {
      sendText(id, "done " + steps);
      return;
    }
    SCHEDULER.schedule(
        () -> {
          if (token != null) {
            ObjectNode n = NF.objectNode();
            n.put("jsonrpc", "2.0");
            n.put("method", "notifications/progress");
            ObjectNode p = n.putObject("params");
            p.set("progressToken", token);
            p.put("progress", i);
            p.put("total", steps);
            p.put("message", "step " + i);
            writeJson(n);
          }
          progressStep(id, token, i + 1, steps, ms);
        },
        ms,
        TimeUnit.MILLISECONDS);
  }

  private static CompletableFuture<JsonNode> serverRequest(String method, JsonNode params) {
    String sid = "srv-" + SERVER_REQUEST_COUNTER.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    PENDING_SERVER_REQUESTS.put(sid, f);
    ObjectNode req = NF.objectNode();
    req.put("jsonrpc", "2.0");
    req.put("id", sid);
    req.put("method", method);
    if (params != null) {
      req.set("params", params);
    }
    writeJson(req);
    return f;
  }

  // ------------------------------------------------------------------ output

  private static void sendText(JsonNode id, String text) {
    ObjectNode result = NF.objectNode();
    ObjectNode c = result.putArray("content").addObject();
    c.put("type", "text");
    c.put("text", text);
    sendResult(id, result);
  }

  private static void sendResult(JsonNode id, JsonNode result) {
    ObjectNode resp = NF.objectNode();
    resp.put("jsonrpc", "2.0");
    resp.set("id", id);
    resp.set("result", result);
    writeJson(resp);
  }

  private static void sendError(JsonNode id, int code, String message) {
    ObjectNode resp = NF.objectNode();
    resp.put("jsonrpc", "2.0");
    resp.set("id", id);
    ObjectNode err = resp.putObject("error");
    err.put("code", code);
    err.put("message", message);
    writeJson(resp);
  }

  private static void writeJson(JsonNode node) {
    writeLine(toJson(node));
  }

  private static String toJson(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The single path for everything written to stdout: one line, then flush. */
  private static synchronized void writeRawLine(byte[] bytes) {
    try {
      STDOUT.write(bytes);
      STDOUT.write('\n');
      STDOUT.flush();
    } catch (IOException e) {
      System.exit(0);
    }
  }

  private static synchronized void writeLine(String line) {
    try {
      STDOUT.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      STDOUT.flush();
    } catch (IOException e) {
      // stdout gone (client closed the pipe); stdin EOF will end the process.
    }
  }

  private static void writeStderr(String line) {
    synchronized (STDERR) {
      try {
        STDERR.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        STDERR.flush();
      } catch (IOException e) {
        // ignore
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Normalised id key: numbers and strings with the same text stay distinct. */
  private static String idKey(JsonNode id) {
    if (id == null) {
      return "null";
    }
    if (id.isIntegralNumber()) {
      return "n:" + id.bigIntegerValue();
    }
    if (id.isNumber()) {
      return "n:" + id.decimalValue().stripTrailingZeros().toPlainString();
    }
    if (id.isTextual()) {
      return "s:" + id.asText();
    }
    return "j:" + id;
  }

  private static String text(JsonNode obj, String field, String dflt) {
    JsonNode v = obj == null ? null : obj.get(field);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  private static long number(JsonNode obj, String field, long dflt) {
    JsonNode v = obj == null ? null : obj.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (v.isNumber()) {
      return v.asLong();
    }
    try {
      return Long.parseLong(v.asText().trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
