package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;

/**
 * Who makes the current call, as the auth layer established it, and with which role. Every call on
 * the shared port has one in its gRPC {@link Context} (see {@link #current()}); without {@code --auth}
 * it is {@link #ANONYMOUS}, who may do everything.
 *
 * @param name the token's name or the user's name; {@code anonymous} without {@code --auth}
 * @param role what the caller may do
 * @param credential how the caller proved it, for the audit log: {@code token}, {@code user} or {@code none}
 */
public record Caller(String name, Role role, String credential) {
  /** The caller of a server started without {@code --auth}: nobody is asked, everything is allowed. */
  public static final Caller ANONYMOUS = new Caller("anonymous", Role.ADMIN, "none");

  static final Context.Key<Caller> CONTEXT_KEY = Context.key("rrdflight-caller");

  public Caller {
    requireNonNull(name, "name is null");
    requireNonNull(role, "role is null");
    requireNonNull(credential, "credential is null");
  }

  /** The caller of the call running on this thread; {@link #ANONYMOUS} outside a call (tests, start-up). */
  public static Caller current() {
    Caller caller = CONTEXT_KEY.get();
    return caller != null ? caller : ANONYMOUS;
  }

  /** May query and list (what Rerun's WhoAmI answers as {@code can_read}). */
  public boolean canRead() {
    return role.includes(Role.READER);
  }

  /** May register, create and write (what Rerun's WhoAmI answers as {@code can_write}). */
  public boolean canWrite() {
    return role.includes(Role.WRITER);
  }

  /** May delete, rename and unregister. */
  public boolean canAdminister() {
    return role.includes(Role.ADMIN);
  }

  /** For the audit log: {@code alice (writer, user)}. */
  public String describe() {
    return name + " (" + role.label() + ", " + credential + ")";
  }
}
