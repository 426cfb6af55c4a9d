package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per mutation on the shared port (who, what, when, with what outcome), and one per
 * refused credential or role. Logged as {@code rrdflight.audit} (the server log shows it as
 * {@code audit}, after the time). A line never contains a token or a password: the request is
 * summarised from its fields (strings and numbers, bytes as their length), and credentials travel in
 * headers, which are never logged.
 *
 * <p>A service that takes its requests as raw bytes (Rerun's, whose wire is chosen per call) hands
 * the interceptor an {@link InputStream}; such a request is read for the summary with the message type
 * its method declares in {@code requestTypes}, and rewound for the service.
 */
public class AuditLog {
  /** A request is summarised in at most this many characters: a 500 MB request must not make a 500 MB line. */
  static final int MAX_SUMMARY = 300;

  private final Logger log;
  private final Map<String, Message> requestTypes = new HashMap<>();

  /** @param services whose methods' request types describe raw requests (the first to name a method wins) */
  public AuditLog(List<ServiceDescriptor> services) {
    this(LoggerFactory.getLogger("rrdflight.audit"), services);
  }

  AuditLog(Logger log, List<ServiceDescriptor> services) {
    this.log = log;
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> typed
            && typed.getMessagePrototype() instanceof Message prototype) {
          requestTypes.putIfAbsent(method.getFullMethodName(), prototype);
        }
      }
    }
  }

  /**
   * The call's audit line, which the interceptor writes when the call closes. In the gRPC {@link Context}
   * of every call, so that a service can say what a call turned out to write ({@link #tableWrite}).
   */
  interface CallAudit {
    void write(String request);
  }

  static final Context.Key<CallAudit> CALL_AUDIT = Context.key("rrdflight-call-audit");

  /**
   * Audits the current call as a write to {@code table} ({@code how}: {@code INSERT INTO}, {@code bulk
   * ingest}), with the line a Rerun-door WriteTable gets: who, which table, the outcome, from where,
   * when. For Flight SQL's DoPut, which the interceptor cannot audit by its declared role alone: it is a
   * reader's call (it also binds a prepared statement's parameters), and only the command in its first
   * batch says whether it writes. Outside a call (tests, start-up) it does nothing.
   */
  public static void tableWrite(String how, String table) {
    requireNonNull(how, "how is null");
    requireNonNull(table, "table is null");
    CallAudit call = CALL_AUDIT.get();
    if (call != null) {
      call.write("{table=\"" + abbreviate(table, 120) + "\" write=\"" + how + "\"}");
    }
  }

  /** A mutation that ran (or failed in the service): who did what to which entry, and the outcome. */
  void mutation(Caller caller, String call, String entry, String request, Status status, String peer) {
    log.info("{} {}{} {} -> {} from {}", caller.describe(), call, entry(entry), request, outcome(status), peer);
  }

  /** A call refused because the caller's role is too low. */
  void denied(Caller caller, String call, Role needed, String entry, String peer) {
    log.info("{} {}{} refused: needs {} -> PERMISSION_DENIED from {}", caller.describe(), call, entry(entry), needed.label(), peer);
  }

  /** A credential that did not check out (never logged: the credential; logged: why). */
  void unauthenticated(String call, String reason, String peer) {
    log.info("unauthenticated {} refused: {} -> UNAUTHENTICATED from {}", call, reason, peer);
  }

  private static String entry(String entry) {
    return entry == null ? "" : " entry=" + entry;
  }

  private static String outcome(Status status) {
    return status.isOk() || status.getDescription() == null
        ? status.getCode().name()
        : status.getCode().name() + " (" + abbreviate(status.getDescription(), 200) + ")";
  }

  /** A bounded one-line description of the request of a call to {@code fullMethodName}: {@code {name="robots"}}. */
  String summarize(String fullMethodName, Object request) {
    if (request instanceof InputStream raw) {
      Message type = requestTypes.get(fullMethodName);
      return type == null ? "" : summarize(parseAndRewind(raw, type));
    }
    return summarize(request);
  }

  /** A bounded one-line description of a request message; empty for anything else. */
  public static String summarize(Object request) {
    if (!(request instanceof Message message)) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    append(out, message);
    return abbreviate(out.toString(), MAX_SUMMARY);
  }

  /** The message in {@code raw}, which is left as it was found; null when it cannot be read twice or parsed. */
  private static Message parseAndRewind(InputStream raw, Message type) {
    if (!raw.markSupported()) {
      return null;
    }
    raw.mark(Integer.MAX_VALUE);
    try {
      return type.getParserForType().parseFrom(raw);
    } catch (IOException e) {
      return null; // the service will say what is wrong with it
    } finally {
      try {
        raw.reset();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot rewind a request read for the audit log", e);
      }
    }
  }

  private static void append(StringBuilder out, Message message) {
    out.append('{');
    boolean first = true;
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      if (out.length() > MAX_SUMMARY) {
        return;
      }
      if (!first) {
        out.append(' ');
      }
      first = false;
      out.append(field.getKey().getName()).append('=');
      if (field.getValue() instanceof List<?> values) {
        out.append('[');
        for (int i = 0; i < values.size() && out.length() <= MAX_SUMMARY; i++) {
          if (i > 0) {
            out.append(", ");
          }
          appendValue(out, values.get(i));
        }
        out.append(']');
        if (values.size() > 1) {
          out.append('(').append(values.size()).append(')');
        }
      } else {
        appendValue(out, field.getValue());
      }
    }
    out.append('}');
  }

  private static void appendValue(StringBuilder out, Object value) {
    if (value instanceof Message m) {
      append(out, m);
    } else if (value instanceof ByteString bytes) {
      out.append('<').append(bytes.size()).append(" bytes>");
    } else if (value instanceof String s) {
      out.append('"').append(abbreviate(s, 120)).append('"');
    } else {
      out.append(value);
    }
  }

  private static String abbreviate(String s, int max) {
    String oneLine = s.replace('\n', ' ').replace('\r', ' ');
    return oneLine.length() <= max ? oneLine : oneLine.substring(0, max) + "…";
  }
}
