package io.rrdflight.server.redap;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.EntryId;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Puts the entry a call is about into the gRPC {@link Context}: Rerun's clients name the dataset of
 * a dataset-scoped call in the header {@code x-rerun-entry-id} (32 hex digits), not in the request.
 * The name header {@code x-rerun-entry-name-bin} is accepted too (Rerun's server does; its clients
 * never send it). Also keeps the {@code :authority} the client dialled, to build URLs it can use.
 */
public final class EntryIdHeader implements ServerInterceptor {
  static final Metadata.Key<String> ENTRY_ID = Metadata.Key.of("x-rerun-entry-id", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<byte[]> ENTRY_NAME = Metadata.Key.of("x-rerun-entry-name-bin", Metadata.BINARY_BYTE_MARSHALLER);

  private static final Context.Key<RequestedEntry> KEY = Context.key("rerun-requested-entry");

  /** What the headers of the current call say; both empty when the call named no entry. */
  record RequestedEntry(Optional<String> idHex, Optional<String> name, Optional<String> authority) {
    /** The entry id header parsed, or INVALID_ARGUMENT naming the bad value. */
    Optional<EntryId> id() {
      if (idHex.isEmpty()) {
        return Optional.empty();
      }
      try {
        return Optional.of(EntryId.parse(idHex.get().trim()));
      } catch (CatalogException e) {
        throw Status.INVALID_ARGUMENT.withDescription("Header x-rerun-entry-id: " + e.getMessage()).asRuntimeException();
      }
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    byte[] name = headers.get(ENTRY_NAME);
    RequestedEntry entry = new RequestedEntry(
        Optional.ofNullable(headers.get(ENTRY_ID)),
        Optional.ofNullable(name).map(b -> new String(b, StandardCharsets.UTF_8)),
        Optional.ofNullable(call.getAuthority()));
    return Contexts.interceptCall(Context.current().withValue(KEY, entry), call, headers, next);
  }

  /** The entry named by the current call's headers (empty outside a call of this service). */
  static RequestedEntry current() {
    RequestedEntry entry = KEY.get();
    return entry != null ? entry : new RequestedEntry(Optional.empty(), Optional.empty(), Optional.empty());
  }
}
