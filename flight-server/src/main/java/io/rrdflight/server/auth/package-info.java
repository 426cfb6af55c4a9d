/**
 * Who may call what on the shared port: bearer tokens (JWT, HS256, signed with the data dir's
 * {@link io.rrdflight.server.auth.ServerKey}), users with passwords (Flight's handshake), the role
 * each call needs ({@link io.rrdflight.server.auth.CallRoles}), the one interceptor that applies them
 * to both services ({@link io.rrdflight.server.auth.AuthInterceptor}), the caller in the gRPC context
 * ({@link io.rrdflight.server.auth.Caller#current()}) and the audit log. Services contain no auth code.
 */
package io.rrdflight.server.auth;
