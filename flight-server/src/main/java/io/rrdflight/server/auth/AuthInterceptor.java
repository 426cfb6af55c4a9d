package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import org.apache.arrow.flight.auth.AuthConstants;
import org.apache.arrow.flight.impl.Flight;

/**
 * The auth layer of the shared port, installed once for every service on it (Flight SQL and Rerun's
 * catalog service): establishes the {@link Caller} from the {@code authorization} header, refuses the
 * call when the caller's role is below what {@link CallRoles} says it needs, puts the caller in the
 * gRPC {@link Context} ({@link Caller#current()}, and Flight's peer identity), and writes the
 * {@link AuditLog} line of each mutation. Services contain no auth code.
 *
 * <p>Without {@code --auth} every caller is {@link Caller#ANONYMOUS} and nothing is refused; mutations
 * are still audited.
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> ENTRY_ID = Metadata.Key.of("x-rerun-entry-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Optional<Authenticator> authenticator;
  private final CallRoles roles;
  private final AuditLog audit;

  private AuthInterceptor(Optional<Authenticator> authenticator, CallRoles roles, AuditLog audit) {
    this.authenticator = authenticator;
    this.roles = requireNonNull(roles, "roles is null");
    this.audit = requireNonNull(audit, "audit is null");
  }

  /** {@code rrdflight server --auth}: every call but {@code GET /version} needs a credential. */
  public static AuthInterceptor requiring(Authenticator authenticator, CallRoles roles, AuditLog audit) {
    return new AuthInterceptor(Optional.of(requireNonNull(authenticator, "authenticator is null")), roles, audit);
  }

  /** A server without {@code --auth}: everyone is {@link Caller#ANONYMOUS}. */
  public static AuthInterceptor open(CallRoles roles, AuditLog audit) {
    return new AuthInterceptor(Optional.empty(), roles, audit);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String callName = shortName(method);
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String peer = String.valueOf(remote);
    String entry = headers.get(ENTRY_ID);

    Caller caller;
    String answerToken = null;
    if (authenticator.isEmpty()) {
      caller = Caller.ANONYMOUS;
    } else {
      String authorization = headers.get(AUTHORIZATION);
      try {
        caller = authenticate(authenticator.get(), authorization, method, host(remote));
        if (method.equals(CallRoles.FLIGHT_HANDSHAKE)) {
          // Flight's Basic -> bearer exchange: the client takes the token from the answer's headers.
          answerToken = caller.credential().equals("user") && startsWithIgnoreCase(authorization, "basic ")
              ? authenticator.get().sessionToken(caller)
              : authorization.substring("bearer ".length()).trim();
        }
      } catch (AuthenticationException e) {
        if (authorization != null) {
          audit.unauthenticated(callName, e.getMessage(), peer);
        }
        Status status = e instanceof SignInThrottle.SignInRefused ? Status.RESOURCE_EXHAUSTED : Status.UNAUTHENTICATED;
        call.close(status.withDescription(e.getMessage()), new Metadata());
        return new ServerCall.Listener<>() {};
      } catch (AuthStoreUnavailableException e) {
        // The credential may be good: the client should retry, not ask for a new one.
        call.close(Status.UNAVAILABLE.withDescription("cannot check credentials now: " + e.getMessage()), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }

    Role needed = roles.forMethod(method);
    if (!caller.role().includes(needed)) {
      audit.denied(caller, callName, needed, entry, peer);
      call.close(Status.PERMISSION_DENIED.withDescription(denial(callName, needed, caller)), new Metadata());
      return new ServerCall.Listener<>() {};
    }

    boolean doAction = method.equals(CallRoles.FLIGHT_DO_ACTION);
    AuditedCall<Q, R> audited = new AuditedCall<>(call, caller, callName, entry, peer, needed.includes(Role.WRITER), answerToken);
    Context context = Context.current()
        .withValue(Caller.CONTEXT_KEY, caller)
        .withValue(AuthConstants.PEER_IDENTITY_KEY, caller.name())
        .withValue(AuditLog.CALL_AUDIT, audited);
    ServerCall.Listener<Q> listener = Contexts.interceptCall(context, audited, headers, next);
    return new RequestListener<>(listener, audited, doAction);
  }

  /** The address a call comes from, without its port: what password sign-ins are counted by. */
  private static String host(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet) {
      return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
    }
    return String.valueOf(remote);
  }

  private static Caller authenticate(Authenticator authenticator, String authorization, String method, String peerHost)
      throws AuthenticationException {
    if (authorization == null || authorization.isBlank()) {
      throw new AuthenticationException("this server requires a token: send the header 'authorization: Bearer <token>'"
          + " (rerun-sdk: CatalogClient(url, token=...)); make one with 'rrdflight token create'");
    }
    if (startsWithIgnoreCase(authorization, "bearer ")) {
      return authenticator.bearer(authorization.substring("bearer ".length()));
    }
    if (startsWithIgnoreCase(authorization, "basic ")) {
      if (!method.equals(CallRoles.FLIGHT_HANDSHAKE)) {
        // A password check costs ~0.1 s on purpose; once per connection, not once per call.
        throw new AuthenticationException("user and password are accepted by the Flight handshake only;"
            + " send the bearer token it answers with");
      }
      return authenticator.basic(authorization.substring("basic ".length()), peerHost);
    }
    throw new AuthenticationException("unsupported authorization scheme: use 'Bearer <token>' (or Basic in the Flight handshake)");
  }

  private static String denial(String callName, Role needed, Caller caller) {
    String who = caller.credential().equals("user") ? "user '" + caller.name() + "'" : "token '" + caller.name() + "'";
    return callName + " needs role " + needed.label() + "; " + who + " has role " + caller.role().label();
  }

  private static boolean startsWithIgnoreCase(String s, String prefix) {
    return s != null && s.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  /** {@code RegisterWithDataset} from {@code rerun.cloud.v1alpha1.RerunCloudService/RegisterWithDataset}. */
  static String shortName(String fullMethodName) {
    int slash = fullMethodName.lastIndexOf('/');
    return slash < 0 ? fullMethodName : fullMethodName.substring(slash + 1);
  }

  /**
   * The call as the service sees it: it audits mutations when they close, and hands a Flight
   * handshake's bearer token to the client in the answer's headers.
   */
  private final class AuditedCall<Q, R> extends SimpleForwardingServerCall<Q, R> implements AuditLog.CallAudit {
    private final Caller caller;
    private final String entry;
    private final String peer;
    private final String answerToken;
    private volatile String callName;
    private volatile boolean audited;
    private volatile String request = "";
    private boolean headersSent;

    AuditedCall(ServerCall<Q, R> call, Caller caller, String callName, String entry, String peer, boolean audited, String answerToken) {
      super(call);
      this.caller = caller;
      this.callName = callName;
      this.entry = entry;
      this.peer = peer;
      this.audited = audited;
      this.answerToken = answerToken;
    }

    @Override
    public void sendHeaders(Metadata headers) {
      headersSent = true;
      if (answerToken != null) {
        headers.put(AUTHORIZATION, "Bearer " + answerToken);
      }
      super.sendHeaders(headers);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (answerToken != null && status.isOk() && !headersSent) {
        sendHeaders(new Metadata()); // a handshake answered without messages: the token still goes in headers
      }
      if (audited) {
        audit.mutation(caller, callName, entry, request, status, peer);
      }
      super.close(status, trailers);
    }

    /** The service says this call writes (a table through Flight SQL's DoPut): it is audited as it closes. */
    @Override
    public void write(String request) {
      this.request = request;
      audited = true;
    }

    /** Refuses a call whose request turned out to need a higher role (a Flight action). */
    void deny(String actionCall, Role needed) {
      audit.denied(caller, actionCall, needed, entry, peer);
      audited = false;
      super.close(Status.PERMISSION_DENIED.withDescription(denial(actionCall, needed, caller)), new Metadata());
    }
  }

  /** Reads the first request: its summary for the audit line, and a Flight action's type for its role. */
  private final class RequestListener<Q> extends SimpleForwardingServerCallListener<Q> {
    private final AuditedCall<Q, ?> call;
    private final boolean doAction;
    private boolean first = true;
    private boolean refused;

    RequestListener(ServerCall.Listener<Q> delegate, AuditedCall<Q, ?> call, boolean doAction) {
      super(delegate);
      this.call = call;
      this.doAction = doAction;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      if (first) {
        first = false;
        if (doAction && message instanceof Flight.Action action) {
          Role needed = roles.forFlightAction(action.getType());
          String actionCall = "DoAction " + action.getType();
          if (!call.caller.role().includes(needed)) {
            refused = true;
            call.deny(actionCall, needed);
            return;
          }
          call.callName = actionCall;
          call.audited = needed.includes(Role.WRITER);
        }
        if (call.audited) {
          call.request = audit.summarize(call.getMethodDescriptor().getFullMethodName(), message);
        }
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }
  }

  @Override
  public String toString() {
    return "AuthInterceptor[" + (authenticator.isPresent() ? "tokens required" : "open") + "]";
  }
}
